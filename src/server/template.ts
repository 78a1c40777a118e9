import type { PromptMessage } from "./answer.ts";
import { parseChatRequest } from "./request.ts";

/**
 * The simulated model's chat template: Meta Llama 3 Instruct's, the model /v1/models describes
 * (n_vocab 128256). /props shows its Jinja source; /apply-template renders it.
 */
export const CHAT_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + " +
  "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}" +
  "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

export const BOS_TOKEN = "<|begin_of_text|>";
export const EOS_TOKEN = "<|eot_id|>";

const header = (role: string) => `<|start_header_id|>${role}<|end_header_id|>\n\n`;

/** What CHAT_TEMPLATE renders for these messages. */
export function renderTemplate(messages: readonly PromptMessage[], addGenerationPrompt: boolean): string {
  let prompt = "";
  messages.forEach((message, i) => {
    prompt += `${i === 0 ? BOS_TOKEN : ""}${header(message.role)}${message.text.trim()}${EOS_TOKEN}`;
  });
  return addGenerationPrompt ? prompt + header("assistant") : prompt;
}

/**
 * llama-server's prompt for a chat request: a trailing assistant message is a prefill, so the
 * others are rendered with the generation prompt and its text is appended as is, with no end of turn.
 */
export function chatPrompt(messages: readonly PromptMessage[], addGenerationPrompt: boolean): string {
  const last = messages.at(-1);
  if (last?.role === "assistant") return renderTemplate(messages.slice(0, -1), true) + last.text;
  return renderTemplate(messages, addGenerationPrompt);
}

/** POST /apply-template: the chat request's validation, then `{"prompt": ...}` without inference. */
export function applyTemplateBody(body: unknown): string {
  const request = parseChatRequest(body);
  const flag = (body as Record<string, unknown>).add_generation_prompt;
  return JSON.stringify({ prompt: chatPrompt(request.messages, typeof flag === "boolean" ? flag : true) });
}
