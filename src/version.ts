import packageJson from "../package.json" with { type: "json" };

// Replaced at build time by `bun build --define`; absent when running from source.
declare const LLAMA_SIM_COMMIT: string | undefined;

export const VERSION: string = packageJson.version;
export const COMMIT: string = typeof LLAMA_SIM_COMMIT === "string" ? LLAMA_SIM_COMMIT : "source";

/** llama-server's `system_fingerprint` is "b<build>-<commit>"; tests check the leading "b". */
export const FINGERPRINT = `b${VERSION}-${COMMIT}`;

export function versionText(): string {
  return `llama-sim ${VERSION} (commit ${COMMIT}, Bun ${Bun.version}, ${process.platform}-${process.arch})`;
}
