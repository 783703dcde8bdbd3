/**
 * Intercepts the Worker's outbound fetch to GitHub (token endpoint and REST API), records what it sent,
 * and answers as GitHub would for one test user. Any other outbound request fails the test.
 */
import { vi } from "vitest";

/** GitHub credentials for tests that need GitHub sign-in on (the test APP_URL is not loopback). */
export const GITHUB_ENV = { GITHUB_CLIENT_ID: "Iv1.latchkeytest", GITHUB_CLIENT_SECRET: "test-github-client-secret" };

export const TOKEN_URL = "https://github.com/login/oauth/access_token";
export const ACCESS_TOKEN = "gho_testaccesstoken";

export interface FakeGitHubUser {
  id: number;
  login: string;
  name?: string | null;
  avatar_url?: string;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface CapturedGitHubRequest {
  url: string;
  method: string;
  headers: Headers;
  body: URLSearchParams | null;
}

type Reply = (request: Request) => Response | Promise<Response>;

export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** A reply that never comes, except that it gives up when the caller aborts (as fetch does). */
export const hang: Reply = (request) =>
  new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));

/** A host that can't be reached: fetch rejects at once, as it does when the network is down. */
export const unreachable: Reply = () => {
  throw new TypeError("Network connection lost.");
};

export function interceptGitHub(user: FakeGitHubUser, { token, api }: { token?: Reply; api?: Reply } = {}) {
  const requests: CapturedGitHubRequest[] = [];
  const answer = (request: Request): Response | Promise<Response> => {
    if (request.url === TOKEN_URL) {
      return token ? token(request) : json({ access_token: ACCESS_TOKEN, token_type: "bearer", scope: "read:user,user:email" });
    }
    if (request.url.startsWith("https://api.github.com/")) {
      if (api) return api(request);
      if (request.headers.get("Authorization") !== `Bearer ${ACCESS_TOKEN}`) return json({ message: "Bad credentials" }, 401);
      if (request.url === "https://api.github.com/user") {
        return json({
          id: user.id,
          login: user.login,
          name: user.name ?? null,
          avatar_url: user.avatar_url ?? `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
        });
      }
      if (request.url === "https://api.github.com/user/emails") return json(user.emails);
    }
    throw new Error(`unexpected outbound fetch to ${request.url}`);
  };
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const request = new Request(input as RequestInfo, init);
    const captured: CapturedGitHubRequest = { url: request.url, method: request.method, headers: request.headers, body: null };
    requests.push(captured);
    // Rejected before any I/O, as a real fetch does (a rejection after the body read is reported by
    // the Workers pool as unhandled, though the Worker handles it).
    const reply = request.url === TOKEN_URL ? token : request.url.startsWith("https://api.github.com/") ? api : undefined;
    if (reply === unreachable) return Promise.reject(new TypeError("Network connection lost."));
    const bodyRead = request.method === "POST" ? request.clone().arrayBuffer().then((bytes) => new TextDecoder().decode(bytes)) : Promise.resolve(null);
    // The reply's own promise is what fetch returns (a rejection reaches the caller unwrapped).
    return bodyRead.then((text) => {
      if (text !== null) captured.body = new URLSearchParams(text);
      return answer(request);
    });
  });
  return {
    spy,
    requests,
    tokenRequests: () => requests.filter((r) => r.url === TOKEN_URL),
    apiRequests: () => requests.filter((r) => r.url.startsWith("https://api.github.com/")),
  };
}
