import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Verdict } from "../../src/decide/types.ts";
import { cppNumber, escapeLabel, LATENCY_BUCKETS, Metrics, METRICS_CONTENT_TYPE } from "../../src/server/metrics.ts";
import { parseExposition, value, type Family } from "../fixtures/prometheus.ts";

/** Names, types and help texts of llama-server's /metrics ([A]/[C]), from the endpoints reference §10, in its order. */
const LLAMACPP: readonly (readonly [string, "counter" | "gauge", string])[] = [
  ["prompt_tokens_total", "counter", "Number of prompt tokens processed."],
  ["prompt_seconds_total", "counter", "Prompt process time"],
  ["tokens_predicted_total", "counter", "Number of generation tokens processed."],
  ["tokens_predicted_seconds_total", "counter", "Predict process time"],
  ["n_decode_total", "counter", "Total number of llama_decode() calls"],
  ["n_tokens_max", "counter", "Largest observed n_tokens."],
  ["n_busy_slots_per_decode", "counter", "Average number of busy slots per llama_decode() call"],
  ["prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s."],
  ["predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s."],
  ["requests_processing", "gauge", "Number of requests processing."],
  ["requests_deferred", "gauge", "Number of requests deferred."],
];

const reply = (dataset: string, verdict: Verdict, promptTokens = 100, completionTokens = 20, promptMs = 50, predictedMs = 400) =>
  ({ dataset, verdict, promptTokens, completionTokens, promptMs, predictedMs }) as const;

describe("the test's exposition parser", () => {
  // The parser is the oracle for the tests below: check that it rejects what it must.
  test("rejects malformed input", () => {
    const bad = [
      "x 1", // no newline at the end
      "x 1\n", // no HELP/TYPE
      "# HELP x h\n# TYPE x counter\nx -1\n", // negative counter
      "# HELP 1x h\n# TYPE 1x gauge\n1x 1\n", // bad name
      '# HELP x h\n# TYPE x gauge\nx{a="\\q"} 1\n', // bad escape
      '# HELP x h\n# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', // duplicate series
      "# HELP x h\n# TYPE x gauge\nx one\n", // bad value
      "# HELP x h\n# TYPE x gauge\n# HELP y h\n# TYPE y gauge\ny 1\nx 1\n", // non-contiguous
      '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // decreasing
      '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n', // +Inf != count
      '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', // no +Inf
      "# HELP x h\n# TYPE x gauge\n\nx 1\n", // blank line
    ];
    for (const text of bad) expect(() => parseExposition(text)).toThrow();
    expect(parseExposition('# HELP x a\\\\b\n# TYPE x gauge\nx{a="q\\"\\n\\\\"} 1.5e+06\n').get("x")!.samples[0]).toEqual({
      name: "x",
      labels: { a: 'q"\n\\' },
      value: 1.5e6,
    });
  });
});

describe("Metrics.render", () => {
  test("a fresh instance renders every llamacpp metric with llama-server's name, type and help, counters first", () => {
    const text = new Metrics().render();
    const families = parseExposition(text);
    const llama = [...families.values()].filter((f) => f.name.startsWith("llamacpp:"));
    expect(llama.map((f) => [f.name.slice("llamacpp:".length), f.type, f.help])).toEqual(LLAMACPP.map((m) => [...m]));
    for (const f of llama) expect(f.samples).toEqual([{ name: f.name, labels: {}, value: 0 }]);
    expect(families.get("llamasim_replies_total")!.type).toBe("counter");
    expect(families.get("llamasim_replies_total")!.samples).toEqual([]);
    expect(value(families, "llamasim_unmatched_total")).toBe(0);
    expect(value(families, "llamasim_judge_requests_total")).toBe(0);
    expect(families.get("llamasim_request_duration_seconds")!.type).toBe("histogram");
    expect(value(families, "llamasim_request_duration_seconds_count")).toBe(0);
    expect(METRICS_CONTENT_TYPE).toBe("text/plain; version=0.0.4");
  });

  test("processStartTimeUnix is the construction time in whole Unix seconds", () => {
    const before = Math.floor(Date.now() / 1000);
    const m = new Metrics();
    expect(m.processStartTimeUnix).toBeGreaterThanOrEqual(before);
    expect(m.processStartTimeUnix).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(Number.isInteger(m.processStartTimeUnix)).toBe(true);
  });

  test("replies feed the token counters, times, throughputs and per-dataset verdict counts", () => {
    const m = new Metrics();
    m.setSlots(2, 1);
    m.onReply(reply("aime", "correct", 100, 20, 50, 400));
    m.onReply(reply("aime", "wrong", 300, 10, 150, 200));
    m.onReply(reply("gsm8k", "no-answer", 50, 0, 25, 0));
    m.onUnmatched();
    m.onJudge();
    m.onJudge();
    const f = parseExposition(m.render());
    expect(value(f, "llamacpp:prompt_tokens_total")).toBe(450);
    expect(value(f, "llamacpp:prompt_seconds_total")).toBe(0.225);
    expect(value(f, "llamacpp:tokens_predicted_total")).toBe(30);
    expect(value(f, "llamacpp:tokens_predicted_seconds_total")).toBe(0.6);
    expect(value(f, "llamacpp:n_decode_total")).toBe(21 + 11 + 1);
    expect(value(f, "llamacpp:n_tokens_max")).toBe(300);
    expect(value(f, "llamacpp:n_busy_slots_per_decode")).toBe(2);
    expect(value(f, "llamacpp:prompt_tokens_seconds")).toBe(2000);
    expect(value(f, "llamacpp:predicted_tokens_seconds")).toBe(50);
    expect(value(f, "llamacpp:requests_processing")).toBe(2);
    expect(value(f, "llamacpp:requests_deferred")).toBe(1);
    expect(value(f, "llamasim_replies_total", { dataset: "aime", verdict: "correct" })).toBe(1);
    expect(value(f, "llamasim_replies_total", { dataset: "aime", verdict: "wrong" })).toBe(1);
    expect(value(f, "llamasim_replies_total", { dataset: "gsm8k", verdict: "no-answer" })).toBe(1);
    expect(f.get("llamasim_replies_total")!.samples.length).toBe(3);
    expect(value(f, "llamasim_unmatched_total")).toBe(1);
    expect(value(f, "llamasim_judge_requests_total")).toBe(2);
  });

  test("llamacpp values print as llama-server's C++ stream does (6 significant digits)", () => {
    const m = new Metrics();
    for (let i = 0; i < 3; i++) m.onReply(reply("aime", "correct", 1_234_567, 0, 1000, 0));
    const text = m.render();
    expect(text).toContain("\nllamacpp:prompt_tokens_total 3.7037e+06\n");
    expect(parseExposition(text).get("llamacpp:prompt_tokens_total")!.samples[0]!.value).toBe(3.7037e6);
  });

  test("label values with backslash, quote and newline are escaped and parse back unchanged", () => {
    const m = new Metrics();
    const nasty = 'my\\data"set\nname';
    m.onReply(reply(nasty, "correct"));
    const text = m.render();
    expect(text).toContain('dataset="my\\\\data\\"set\\nname"');
    const sample = parseExposition(text).get("llamasim_replies_total")!.samples[0]!;
    expect(sample.labels).toEqual({ dataset: nasty, verdict: "correct" });
  });

  test("the latency histogram counts each observation in every bucket at or above it", () => {
    const m = new Metrics();
    const observations = [0.00005, 0.0001, 0.0003, 0.002, 0.002, 0.7, 3, 42];
    for (const s of observations) m.observeLatency(s);
    m.observeLatency(NaN); // ignored
    const f = parseExposition(m.render());
    const h = f.get("llamasim_request_duration_seconds")!;
    const buckets = h.samples.filter((s) => s.name.endsWith("_bucket"));
    expect(buckets.map((b) => b.labels.le)).toEqual([...LATENCY_BUCKETS.map(String), "+Inf"]);
    for (const b of buckets) {
      const le = b.labels.le === "+Inf" ? Infinity : Number(b.labels.le);
      expect(b.value).toBe(observations.filter((o) => o <= le).length);
    }
    expect(value(f, "llamasim_request_duration_seconds_count")).toBe(observations.length);
    expect(value(f, "llamasim_request_duration_seconds_sum")).toBeCloseTo(observations.reduce((a, b) => a + b, 0), 12);
  });

  test("property: any sequence of events renders a valid exposition whose counts add up", () => {
    // Any UTF-16 text, control characters and lone surrogates included.
    const datasetArb = fc.string({ unit: "binary", maxLength: 12 });
    const verdictArb = fc.constantFrom<Verdict>("correct", "wrong", "no-answer", "error");
    const eventArb = fc.oneof(
      fc.record({
        kind: fc.constant("reply" as const),
        dataset: datasetArb,
        verdict: verdictArb,
        promptTokens: fc.nat(100_000),
        completionTokens: fc.nat(100_000),
        promptMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
        predictedMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
      }),
      fc.record({ kind: fc.constant("latency" as const), seconds: fc.double({ min: 0, max: 100, noNaN: true }) }),
      fc.record({ kind: fc.constant("slots" as const), processing: fc.nat(64), deferred: fc.nat(64) }),
      fc.constant({ kind: "unmatched" as const }),
      fc.constant({ kind: "judge" as const }),
    );
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        const m = new Metrics();
        const expected = new Map<string, number>();
        let latencies = 0;
        for (const e of events) {
          if (e.kind === "reply") {
            m.onReply(e);
            const key = JSON.stringify([e.dataset, e.verdict]);
            expected.set(key, (expected.get(key) ?? 0) + 1);
          } else if (e.kind === "latency") {
            m.observeLatency(e.seconds);
            latencies++;
          } else if (e.kind === "slots") m.setSlots(e.processing, e.deferred);
          else if (e.kind === "unmatched") m.onUnmatched();
          else m.onJudge();
        }
        const f = parseExposition(m.render());
        const replies = f.get("llamasim_replies_total")!.samples;
        expect(replies.length).toBe(expected.size);
        for (const s of replies) expect<number | undefined>(s.value).toBe(expected.get(JSON.stringify([s.labels.dataset, s.labels.verdict])));
        expect(value(f, "llamasim_request_duration_seconds_count")).toBe(latencies);
        expect(value(f, "llamasim_unmatched_total")).toBe(events.filter((e) => e.kind === "unmatched").length);
      }),
      { numRuns: 300 },
    );
  });
});

describe("cppNumber (printf %g)", () => {
  test("matches C's default stream formatting", () => {
    const cases: [number, string][] = [
      [0, "0"],
      [42, "42"],
      [-2.5, "-2.5"],
      [0.5, "0.5"],
      [123456, "123456"],
      [1234567, "1.23457e+06"],
      [999999.5, "1e+06"],
      [0.0001, "0.0001"],
      [0.00001234, "1.234e-05"],
      [1 / 3, "0.333333"],
      [2000, "2000"],
      [1e21, "1e+21"],
      [Infinity, "+Inf"],
    ];
    for (const [x, text] of cases) expect(cppNumber(x)).toBe(text);
  });

  test("property: parses back within 6 significant digits", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), (x) => {
        const back = Number(cppNumber(x));
        return x === 0 ? back === 0 : Math.abs(back - x) <= Math.abs(x) * 5e-6;
      }),
      { numRuns: 2000 },
    );
  });
});

describe("escapeLabel", () => {
  test("escapes exactly backslash, double quote and line feed", () => {
    expect(escapeLabel('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
  });
});
