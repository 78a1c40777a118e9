// The floor of the HTTP stack: a plain Bun.serve that does what every llama-sim request must do
// anyway — read and parse the JSON body — and answers with a FIXED reply of llama-sim's shape and size:
// a chat.completion JSON, or for "stream": true the same SSE sequence (role chunk, one chunk per
// piece of the same reply text, finish chunk with timings, [DONE]) as one buffered body, or with
// --sse-events event by event (one chunk and one flush each, through a direct stream: as llama-sim
// sends a stream). Same response headers as llama-sim. No matching, no randomness, no rendering, no log.
//
//   bun bench/baseline.ts [--port N] [--sse-events]   (bench/run.ts compiles it with `bun build
//                                          --compile`, the same runtime and build as ./llama-sim)
// Prints "baseline listening on http://127.0.0.1:PORT" on stderr, like llama-sim's banner.

const args = process.argv.slice(2);
const portArg = args.indexOf("--port");
const port = portArg >= 0 ? Number(args[portArg + 1]) : 0;
const eventByEvent = args.includes("--sse-events");

const CONTENT = "Let me work through this problem step by step.\n\nThe answer is \\boxed{116}.";
const ID = "chatcmpl-hEjjI3vwoCY1Iqp33PZPiLP7kuNc7WLh";
const CREATED = 1795769753;
const FINGERPRINT = "b0.1.0-29def032";
const timings = {
  cache_n: 0, prompt_n: 85, prompt_ms: 42.5, prompt_per_token_ms: 0.5, prompt_per_second: 2000,
  predicted_n: 19, predicted_ms: 316.667, predicted_per_token_ms: 16.667, predicted_per_second: 60,
};

const COMPLETION = JSON.stringify({
  choices: [{ finish_reason: "stop", index: 0, message: { role: "assistant", content: CONTENT } }],
  created: CREATED,
  model: "llama",
  system_fingerprint: FINGERPRINT,
  object: "chat.completion",
  usage: { completion_tokens: 19, prompt_tokens: 85, total_tokens: 104, prompt_tokens_details: { cached_tokens: 0 } },
  id: ID,
  timings,
});

const chunk = (choices: unknown[], extra?: Record<string, unknown>) =>
  `data: ${JSON.stringify({ choices, created: CREATED, id: ID, model: "llama", system_fingerprint: FINGERPRINT, object: "chat.completion.chunk", ...extra })}\n\n`;
const delta = (d: Record<string, unknown>) => [{ finish_reason: null, index: 0, delta: d }];
const EVENTS = [
  chunk(delta({ role: "assistant", content: null })),
  ...(CONTENT.match(/\s*\S{1,8}|\s+$/gu) ?? []).map((piece) => chunk(delta({ content: piece }))),
  chunk([{ finish_reason: "stop", index: 0, delta: {} }], { timings }),
  "data: [DONE]\n\n",
];
const STREAM = EVENTS.join("");

/** The same events, each its own chunk and flush, as llama-sim's server/sse.ts writes a stream. */
function eventStream(): ReadableStream {
  return new ReadableStream({
    type: "direct",
    async pull(controller: ReadableStreamDirectController) {
      for (const event of EVENTS) {
        const wrote = controller.write(event);
        if (wrote instanceof Promise) await wrote;
        const flushed = controller.flush();
        if (flushed instanceof Promise) await flushed;
      }
      controller.close();
    },
  });
}

const JSON_HEADERS = { Server: "llama.cpp", "Content-Type": "application/json; charset=utf-8" };
const SSE_HEADERS = { Server: "llama.cpp", "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" };
const HEALTH = JSON.stringify({ status: "ok" });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  development: false,
  reusePort: false,
  async fetch(req) {
    if (req.method === "POST") {
      const body = (await req.json()) as { stream?: unknown };
      if (body.stream !== true) return new Response(COMPLETION, { headers: JSON_HEADERS });
      return new Response(eventByEvent ? eventStream() : STREAM, { headers: SSE_HEADERS });
    }
    return new Response(HEALTH, { headers: JSON_HEADERS });
  },
});
process.stderr.write(`baseline listening on ${server.url.href.replace(/\/$/, "")}\n`);
const stop = () => {
  server.stop(true);
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
