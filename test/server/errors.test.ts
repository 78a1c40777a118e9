import { describe, expect, test } from "bun:test";
import { errorBody, HttpError, invalidRequest, notFound, tooLarge } from "../../src/server/errors.ts";

describe("errors", () => {
  test("errorBody is llama-server's envelope, code a number equal to the status", () => {
    const body = errorBody(400, "invalid_request_error", "bad");
    expect(body).toBe('{"error":{"code":400,"message":"bad","type":"invalid_request_error"}}');
    expect(JSON.parse(errorBody(503, "unavailable_error", 'a "quoted"\nmessage'))).toEqual({
      error: { code: 503, message: 'a "quoted"\nmessage', type: "unavailable_error" },
    });
  });

  test("helpers build the right status and type", () => {
    const bad = invalidRequest("nope");
    expect(bad).toBeInstanceOf(HttpError);
    expect(bad).toBeInstanceOf(Error);
    expect([bad.status, bad.type, bad.message, bad.name]).toEqual([400, "invalid_request_error", "nope", "HttpError"]);
    const missing = notFound();
    expect([missing.status, missing.type, missing.message]).toEqual([404, "not_found_error", "File Not Found"]);
    const big = tooLarge(1024);
    expect([big.status, big.type]).toEqual([413, "invalid_request_error"]);
    expect(big.message).toContain("1024");
    expect(big.message).toContain("--max-body-bytes");
  });
});
