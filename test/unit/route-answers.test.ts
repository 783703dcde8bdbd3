import { describe, expect, it } from "vitest";
import { tooManyRequests } from "~/lib/route-answers.server";

describe("tooManyRequests", () => {
  it("answers 429 with Retry-After in whole seconds and the page's data (RL-4)", () => {
    const answer = tooManyRequests({ message: "Please try again in 30 seconds." }, 30);
    expect(answer.data).toEqual({ message: "Please try again in 30 seconds." });
    expect(answer.init?.status).toBe(429);
    expect(new Headers(answer.init?.headers).get("Retry-After")).toBe("30");
  });

  it("keeps every other header it is given, each Set-Cookie separately", () => {
    const headers = new Headers();
    headers.append("Set-Cookie", "a=; Max-Age=0; Path=/");
    headers.append("Set-Cookie", "b=; Max-Age=0; Path=/");
    headers.set("Referrer-Policy", "no-referrer");
    const answer = tooManyRequests({}, 5, headers);
    const sent = new Headers(answer.init?.headers);
    expect(sent.getSetCookie()).toEqual(["a=; Max-Age=0; Path=/", "b=; Max-Age=0; Path=/"]);
    expect(sent.get("Referrer-Policy")).toBe("no-referrer");
    expect(sent.get("Retry-After")).toBe("5");
  });
});
