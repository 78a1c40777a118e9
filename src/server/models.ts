/**
 * GET /v1/models in llama-server's shape: OpenAI's `data` plus the Ollama-style `models` list.
 * `loading`: the model is still loading (--loading-ms), and llama-server [A] lists it with `meta: null`.
 */
export function modelsBody(alias: string, aliases: readonly string[] = [alias], loading = false): string {
  return JSON.stringify({
    models: [
      {
        name: alias,
        model: alias,
        modified_at: "",
        size: "",
        digest: "",
        type: "model",
        description: "",
        tags: [""],
        capabilities: ["completion"],
        parameters: "",
        details: { parent_model: "", format: "gguf", family: "", families: [""], parameter_size: "", quantization_level: "" },
      },
    ],
    object: "list",
    data: [
      {
        id: alias,
        aliases: [...new Set(aliases)].sort(),
        tags: [],
        object: "model",
        created: Math.floor(Date.now() / 1000),
        owned_by: "llamacpp",
        meta: loading ? null : { vocab_type: 2, n_vocab: 128256, n_ctx: 8192, n_ctx_train: 131072, n_embd: 4096, n_params: 8030261312, size: 4912898304 },
      },
    ],
  });
}
