import { describe, expect, test } from "bun:test";
import { errorBody, HttpError, invalidRequest, NOT_FOUND_BODY, tooLarge } from "../../src/server/errors.ts";

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
    expect(NOT_FOUND_BODY).toBe('{"error":{"message":"File Not Found","type":"not_found_error","code":404}}');
    const big = tooLarge(1024);
    expect([big.status, big.type]).toEqual([413, "invalid_request_error"]);
    expect(big.message).toContain("1024");
    expect(big.message).toContain("--max-body-bytes");
  });
});
