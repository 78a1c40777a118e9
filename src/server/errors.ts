/** llama-server's error types (its `error.type` values). */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "server_error"
  | "not_supported_error"
  | "unavailable_error"
  | "exceed_context_size_error";

/** A request the server refuses; the app turns it into llama-server's JSON error body. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    /** Fields after `type` in the body (exceed_context_size_error's n_prompt_tokens and n_ctx). */
    readonly extra?: Readonly<Record<string, number>>,
  ) {
    super(message);
  }
}

export const invalidRequest = (message: string) => new HttpError(400, "invalid_request_error", message);
/** llama-server's 404 comes from its error handler, which writes message, type, code (its handlers write code first). */
export const NOT_FOUND_BODY = JSON.stringify({ error: { message: "File Not Found", type: "not_found_error", code: 404 } });
/** llama-server has no 413 of its own; the type tells clients it is the request's fault. */
export const tooLarge = (limit: number) =>
  new HttpError(413, "invalid_request_error", `request body is larger than the limit of ${limit} bytes (--max-body-bytes)`);

/** llama-server has no 408 of its own either; the client was too slow to send its request. */
export const readTimedOut = (seconds: number) =>
  new HttpError(408, "invalid_request_error", `request body not received within ${seconds} s (--read-timeout)`);

/** The client closed the connection before its whole body arrived (nginx's 499); only the log sees it. */
export const clientClosed = () => new HttpError(499, "invalid_request_error", "client closed the connection before sending the whole body");

/** `{"error":{"code","message","type"}}`, `code` being the HTTP status as a number, then any extra fields. */
export function errorBody(status: number, type: ErrorType, message: string, extra?: Readonly<Record<string, number>>): string {
  return JSON.stringify({ error: { code: status, message, type, ...extra } });
}
