// deploy/kubernetes/: parsed with Bun's YAML parser and checked for what a cluster needs (probes,
// resources, a locked-down container, Prometheus annotations) and for every flag and variable they
// pass: named by the binary's --help, and resolving to the configuration the comments promise.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULTS } from "../../src/config.ts";
import { ROOT } from "../e2e/harness.ts";
import { binaryHelp, execForm, flagsOf, helpHasEnv, helpHasFlag, parseDockerfile, resolveRun } from "./parse.ts";

const DIR = join(ROOT, "deploy/kubernetes");
/** Parsed YAML: its shape is what the assertions check. */
type Obj = Record<string, any>;

const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort();
const docs: { file: string; doc: Obj }[] = files.flatMap((file) => {
  const parsed = Bun.YAML.parse(readFileSync(join(DIR, file), "utf8")) as Obj | Obj[];
  return (Array.isArray(parsed) ? parsed : [parsed]).map((doc) => ({ file, doc }));
});
const ofKind = (kind: string): Obj => {
  const found = docs.filter((d) => d.doc.kind === kind);
  expect(found.map((d) => d.doc.kind)).toEqual([kind]);
  return found[0]!.doc;
};
const deployment = ofKind("Deployment");
const service = ofKind("Service");
const configMap = ofKind("ConfigMap");
const pod = deployment.spec.template;
const container = pod.spec.containers[0];
/** The image's ENTRYPOINT (the container sets no command), whose flags come before the container's args. */
const entrypoint = execForm(parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8")).at(-1)!.instructions.find((i) => i.op === "ENTRYPOINT")!.args);

/** The container's environment as the kubelet builds it: envFrom, then env with $(VAR) expanded. */
function containerEnv(podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    expect(from.configMapRef.name).toBe(configMap.metadata.name);
    Object.assign(env, configMap.data);
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom) {
      expect(e.valueFrom.fieldRef.fieldPath).toBe("metadata.name");
      env[e.name] = podName;
    } else {
      env[e.name] = String(e.value).replace(/\$\((\w+)\)/g, (_: string, name: string) => env[name] ?? `$(${name})`);
    }
  }
  return env;
}

describe("kubernetes manifests: shape", () => {
  test("kustomization lists every manifest in the directory", () => {
    const kustomization = ofKind("Kustomization");
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== "kustomization.yaml"));
  });

  test("Deployment: 3 replicas of the image's binary; its selector picks its pods; the Service selects them too", () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(pod.metadata.labels).toMatchObject(service.spec.selector);
    expect(container.command).toBeUndefined(); // the image's ENTRYPOINT runs
    expect(container.image).toMatch(/^llama-sim:[\w.]+$/);
  });

  test("Service port targets the container's named port, which is the port llama-sim listens on", () => {
    const port = container.ports.find((p: Obj) => p.name === service.spec.ports[0].targetPort);
    expect(port.containerPort).toBe(resolveRun(entrypoint.slice(1), containerEnv("p")).port);
    expect(port.containerPort).toBe(DEFAULTS.port);
  });

  test("startup, readiness and liveness probes GET /health on that port", () => {
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      expect(container[probe].httpGet).toEqual({ path: "/health", port: "http" });
      expect(container[probe].periodSeconds).toBeGreaterThan(0);
    }
    // Liveness must not kill a pod that readiness has only taken out of rotation.
    const budget = (p: Obj) => p.periodSeconds * p.failureThreshold;
    expect(budget(container.livenessProbe)).toBeGreaterThan(budget(container.readinessProbe));
  });

  test("resources: requests and limits for cpu and memory, requests within limits", () => {
    const { requests, limits } = container.resources;
    const cpu = (v: string | number) => (String(v).endsWith("m") ? Number(String(v).slice(0, -1)) / 1000 : Number(v));
    const mem = (v: string) => Number(/^(\d+)Mi$/.exec(v)![1]) * 2 ** 20;
    expect(cpu(requests.cpu)).toBeLessThanOrEqual(cpu(limits.cpu));
    expect(mem(requests.memory)).toBeLessThanOrEqual(mem(limits.memory));
    // Measured peak with GSM8K train under load is 87 MiB (README): the limit leaves room.
    expect(mem(limits.memory)).toBeGreaterThanOrEqual(128 * 2 ** 20);
  });

  test("locked down: non-root, read-only root filesystem, no privilege escalation, no capabilities, no API token", () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  test("Prometheus annotations scrape /metrics on the container port, and the ConfigMap turns /metrics on", () => {
    const a = pod.metadata.annotations;
    expect(a["prometheus.io/scrape"]).toBe("true");
    expect(a["prometheus.io/path"]).toBe("/metrics");
    expect(Number(a["prometheus.io/port"])).toBe(container.ports[0].containerPort);
    expect(resolveRun(entrypoint.slice(1), containerEnv("p")).decision.metrics).toBe(true);
  });
});

describe("kubernetes manifests: every flag and variable", () => {
  test("every variable the ConfigMap and the container set is one --help names (POD_NAME aside: the manifest's own)", async () => {
    const help = await binaryHelp();
    const names = [...Object.keys(configMap.data), ...container.env.map((e: Obj) => e.name)].filter((n) => n !== "POD_NAME");
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect({ name, listed: helpHasEnv(help, name) }).toEqual({ name, listed: true });
    // POD_NAME is used, not dangling.
    expect(container.env.some((e: Obj) => String(e.value ?? "").includes("$(POD_NAME)"))).toBe(true);
  });

  test("every ConfigMap value is a string (Kubernetes rejects numbers and booleans in data)", () => {
    for (const [name, value] of Object.entries(configMap.data)) expect({ name, type: typeof value }).toEqual({ name, type: "string" });
  });

  test("the container's flags (the image's ENTRYPOINT, any args) are ones --help lists", async () => {
    const help = await binaryHelp();
    for (const flag of flagsOf([...entrypoint.slice(1), ...(container.args ?? [])])) expect({ flag, listed: helpHasFlag(help, flag) }).toEqual({ flag, listed: true });
  });

  test("the pod's environment resolves to what the comments promise: fixed mode, a pinned seed, the embedded snapshot, one ledger per pod", () => {
    const a = resolveRun([...entrypoint.slice(1), ...(container.args ?? [])], containerEnv("llama-sim-7d9f-abcde"));
    const b = resolveRun([...entrypoint.slice(1), ...(container.args ?? [])], containerEnv("llama-sim-7d9f-fghij"));
    expect(a.decision.mode).toBe("fixed");
    expect(a.seedGiven).toBe(true);
    expect(a.seed).toBe(Number(configMap.data.LLAMA_SIM_SEED));
    expect(a.successRate).toBe(Number(configMap.data.LLAMA_SIM_SUCCESS_RATE));
    expect(a.dataset.source).toBe("embedded");
    expect(a.quiet).toBe(true);
    expect(a.host).toBe("0.0.0.0");
    // Same decisions on every replica, a different ledger file each.
    expect({ ...b, decision: { ...b.decision, ledgerFile: "" } }).toEqual({ ...a, decision: { ...a.decision, ledgerFile: "" } });
    expect(a.decision.ledgerFile).toBe("/var/lib/llama-sim/llama-sim-7d9f-abcde.jsonl");
    expect(b.decision.ledgerFile).not.toBe(a.decision.ledgerFile);
  });

  test("with a read-only root filesystem, every path llama-sim writes is on a mounted volume", () => {
    const config = resolveRun(entrypoint.slice(1), containerEnv("p"));
    const mounts: string[] = container.volumeMounts.map((m: Obj) => m.mountPath);
    const volumes = new Set(pod.spec.volumes.map((v: Obj) => v.name));
    for (const m of container.volumeMounts) expect(volumes.has(m.name)).toBe(true);
    for (const path of [config.decision.ledgerFile!, config.cacheDir]) {
      expect({ path, mounted: mounts.some((m) => path.startsWith(`${m}/`)) }).toEqual({ path, mounted: true });
    }
  });
});

describe("kubernetes manifests: kubectl", () => {
  const kubectl = Bun.which("kubectl");
  test.skipIf(kubectl === null)("kubectl kustomize renders the directory (offline: no cluster needed)", () => {
    const result = Bun.spawnSync([kubectl!, "kustomize", DIR], { stdout: "pipe", stderr: "pipe" });
    expect({ code: result.exitCode, stderr: result.stderr.toString() }).toEqual({ code: 0, stderr: "" });
    const rendered = Bun.YAML.parse(result.stdout.toString()) as Obj[];
    expect(rendered.map((d) => d.kind).sort()).toEqual(["ConfigMap", "Deployment", "Service"]);
  });
});
