/**
 * A browser for integration tests: keeps its own cookies (session, pending 2FA, device), sends a real
 * user agent, an IP and Cloudflare's location, and waits for the Worker's waitUntil work after every
 * request, so emails sent after the response are in the outbox when the next line runs.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "~/dev/worker";
import { ORIGIN, lastMailTo, letTimePass, tokenIn } from "./app";

import { expect } from "vitest";
import { awayFromStepBoundary, totp } from "./totp";

export { awayFromStepBoundary, totp };

export const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
export const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
export const CHROME_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

export class Browser {
  readonly cookies = new Map<string, string>();
  /** Settings this browser's requests see instead of the test defaults (e.g. a tighter limit). */
  env: Partial<Record<keyof Env, unknown>> = {};

  constructor(
    readonly userAgent = FIREFOX_LINUX,
    readonly place: { ip: string; country: string; city: string } = { ip: "203.0.113.10", country: "DE", city: "Berlin" },
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(path, ORIGIN);
    const headers = new Headers(init.headers);
    headers.set("Host", target.host);
    headers.set("User-Agent", this.userAgent);
    headers.set("CF-Connecting-IP", this.place.ip);
    if (this.cookies.size) headers.set("Cookie", this.cookieHeader);
    const request = new Request(target, {
      ...init,
      headers,
      redirect: "manual",
      cf: { country: this.place.country, city: this.place.city },
    } as RequestInit);
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, { ...env, ...this.env } as Env, ctx);
    await waitOnExecutionContext(ctx);
    this.store(response);
    return response;
  }

  get(path: string): Promise<Response> {
    return this.fetch(path);
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, {
      method: "POST",
      body: new URLSearchParams(form).toString(),
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, ...headers },
    });
  }

  /** A same-origin JSON POST, as the page's script sends it (fetch with Content-Type: application/json). */
  postJson(path: string, body: unknown = {}): Promise<Response> {
    return this.fetch(path, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Origin: ORIGIN },
    });
  }

  /** Requests a sign-in email and redeems its link; returns the final POST's response (303). */
  async signInWithEmail(email: string): Promise<Response> {
    await letTimePass(31);
    const sent = await this.post("/login", { email });
    if (sent.status !== 303) throw new Error(`POST /login answered ${sent.status}`);
    return this.post("/auth/verify", { token: tokenIn(await lastMailTo(email)) });
  }

  private store(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** Turns on an authenticator app for the account `browser` is signed in to, through the account pages. */
export async function enrollAuthenticator(browser: Browser) {
  const start = await browser.post("/account", { intent: "setup-2fa" });
  expect(start.status).toBe(303);
  expect(start.headers.get("Location")).toBe("/account/2fa");
  const page = await (await browser.get("/account/2fa")).text();
  const secret = page.match(/data-testid="totp-secret">([A-Z2-7 ]+)</)?.[1];
  expect(secret, "the enrollment page shows the secret for manual entry").toBeTruthy();
  expect(page).toMatch(/<svg class="qr"[^>]*role="img"/);
  await awayFromStepBoundary();
  const confirmed = await browser.post("/account/2fa", { code: await totp(secret!) });
  expect(confirmed.status).toBe(200);
  const html = await confirmed.text();
  const recoveryCodes = [...html.matchAll(/<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})<\/code>/g)].map((m) => m[1]!);
  return { secret: secret!, recoveryCodes, html };
}
