// The fixture must behave like the real API, or the hub tests prove nothing.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { featureType, GATED_TOKEN, SHARED_DATASETS, startFakeDatasetsServer, startSilentServer } from "../fixtures/fake-datasets-server.ts";

const server = startFakeDatasetsServer();
afterAll(() => server.stop());

const example = async (name: string) =>
  (await Bun.file(join(SHARED_DATASETS, "_datasets-server-examples", `${name}.json`)).json()) as { status: number; x_error_code: string | null; body: unknown };

async function get(query: string, init?: RequestInit) {
  const res = await fetch(`${server.url}/rows?${query}`, init);
  return { status: res.status, code: res.headers.get("x-error-code"), body: (await res.json()) as any, headers: res.headers };
}

const AIME = "dataset=AI-MO/aimo-validation-aime&config=default&split=train";

describe("fake datasets-server /rows", () => {
  test("a page in the real shape", async () => {
    const { status, body } = await get(`${AIME}&offset=88&length=5`);
    expect(status).toBe(200);
    expect(body.features).toEqual([
      { feature_idx: 0, name: "id", type: { dtype: "int64", _type: "Value" } },
      { feature_idx: 1, name: "problem", type: { dtype: "string", _type: "Value" } },
      { feature_idx: 2, name: "solution", type: { dtype: "string", _type: "Value" } },
      { feature_idx: 3, name: "answer", type: { dtype: "string", _type: "Value" } },
      { feature_idx: 4, name: "url", type: { dtype: "string", _type: "Value" } },
    ]);
    expect(body.rows.map((r: any) => [r.row_idx, r.row.id, r.truncated_cells])).toEqual([
      [88, 88, []],
      [89, 89, []],
    ]);
    expect([body.num_rows_total, body.num_rows_per_page, body.partial]).toEqual([90, 100, false]);
    expect((await get(`${AIME}&offset=90`)).body.rows).toEqual([]);
  });

  test("configs other than default live in a subdirectory", async () => {
    const { body } = await get("dataset=opencompass/AIME2025&config=AIME2025-II&split=test&offset=4&length=1");
    expect(body.rows[0].row.answer).toBe("336^\\circ");
    expect(body.num_rows_total).toBe(15);
  });

  test("422 and 404 bodies and X-Error-Code match the published examples", async () => {
    for (const [query, name] of [
      ["dataset=AI-MO/aimo-validation-aime&split=train", "rows_422_missing_config"],
      [`${AIME}&offset=-1`, "rows_422_negative_offset"],
      [`${AIME}&length=101`, "rows_422_too_large_length"],
      ["dataset=AI-MO/aimo-validation-aime&config=default&split=inexistent-split", "rows_404_inexistent_split"],
      ["dataset=AI-MO/aimo-validation-aime&config=nope&split=train", "rows_404_inexistent_split"],
      ["dataset=inexistent/dataset&config=default&split=train", "common_401_inexistent_dataset_unauthenticated"],
    ] as const) {
      const ex = await example(name);
      const got = await get(query);
      expect([query, got.status, got.code, got.body]).toEqual([query, ex.status, ex.x_error_code, ex.body]);
    }
    expect((await get("config=default&split=train")).body).toEqual({ error: "Parameter 'dataset' is required" });
  });

  test("faults: 429 with Retry-After, 500 ResponseNotReady, then normal service", async () => {
    server.setFaults({ tooManyRequests: 1, retryAfter: "7", notReady: 1 });
    const a = await get(AIME);
    expect([a.status, a.headers.get("retry-after"), a.body]).toEqual([429, "7", { error: "too many requests" }]);
    const b = await get(AIME);
    expect([b.status, b.code, b.body]).toEqual([500, "ResponseNotReady", (await example("splits_500_response_not_ready")).body]);
    expect((await get(AIME)).status).toBe(200);
    server.setFaults({ tooManyRequests: 1 });
    expect((await get(AIME)).headers.get("retry-after")).toBeNull();
    server.setFaults({});
  });

  test("require-token mode", async () => {
    server.setFaults({ requireToken: "hf_x" });
    expect((await get(AIME)).status).toBe(401);
    expect((await get(AIME, { headers: { Authorization: "Bearer hf_y" } })).status).toBe(401);
    expect((await get(AIME, { headers: { Authorization: "Bearer hf_x" } })).status).toBe(200);
    server.setFaults({});
  });

  test("gated gpqa: 401 without a token, 404 ExternalAuthenticatedError with one lacking access, rows with GATED_TOKEN", async () => {
    const GPQA = "dataset=Idavidrein/gpqa&config=gpqa_diamond&split=train&length=1";
    const none = await get(GPQA);
    expect([none.status, none.code]).toEqual([401, "ExternalUnauthenticatedError"]);
    const wrong = await get(GPQA, { headers: { Authorization: "Bearer hf_other" } });
    expect([wrong.status, wrong.code]).toEqual([404, "ExternalAuthenticatedError"]);
    const granted = await get(GPQA, { headers: { Authorization: `Bearer ${GATED_TOKEN}` } });
    expect([granted.status, granted.body.num_rows_total, granted.body.features.length]).toEqual([200, 198, 78]);
    // Other datasets stay open.
    expect((await get(`${AIME}&length=1`)).status).toBe(200);
  });

  test("/healthcheck answers ok, as the real service", async () => {
    const res = await fetch(`${server.url}/healthcheck`);
    expect([res.status, await res.text()]).toEqual([200, "ok"]);
  });

  test("the silent server accepts connections and never answers", async () => {
    const silent = startSilentServer();
    try {
      const err = await fetch(`${silent.url}/healthcheck`, { signal: AbortSignal.timeout(200) }).catch((e) => e);
      expect(err.name).toBe("TimeoutError");
      expect(silent.connections()).toBe(1);
    } finally {
      silent.stop();
    }
  });

  test("requests are recorded with their status", async () => {
    const before = server.requests.length;
    await get(`${AIME}&length=1`);
    expect(server.requests.length).toBe(before + 1);
    expect(server.requests.at(-1)).toMatchObject({ path: "/rows", status: 200, params: { length: "1" } });
  });

  test("featureType", () => {
    expect(featureType(1.5)).toEqual({ dtype: "float64", _type: "Value" });
    expect(featureType(true)).toEqual({ dtype: "bool", _type: "Value" });
    expect(featureType(["a"])).toEqual({ feature: { dtype: "string", _type: "Value" }, _type: "List" });
  });

  test("runs standalone and prints its URL", async () => {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../fixtures/fake-datasets-server.ts"), "--port", "0"], {
      stdout: "pipe",
      stderr: "inherit",
    });
    try {
      const reader = proc.stdout.getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      const url = out.trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/rows?${AIME}&length=1`);
      expect(((await res.json()) as any).num_rows_total).toBe(90);
    } finally {
      proc.kill();
      await proc.exited;
    }
  });
});
