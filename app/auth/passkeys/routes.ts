/**
 * The passkey HTTP contract (issue 12), as a Hono sub-app the Worker mounts after the same-origin check
 * and before the form-only gate for Remix pages, because most of it speaks JSON:
 *
 *   POST /auth/passkey/options             → PublicKeyCredentialRequestOptionsJSON (any discoverable passkey)
 *   POST /auth/passkey                     {response, redirectTo?} → {redirectTo} + session cookie
 *   POST /account/passkeys/options         (signed in, recent) → PublicKeyCredentialCreationOptionsJSON
 *   POST /account/passkeys                 {response, name?} → 201 {id, name}
 *   POST /account/passkeys/:id             form intent=rename|delete → 303 /account
 *   POST /account/confirm/passkey/options  (signed in) → request options for step-up
 *   POST /account/confirm/passkey          {response, next?} → {redirectTo} (session marked recent)
 *   POST /account/passkey-offer            → 204, remembers that this device was offered a passkey
 *
 * Every route parses, makes one domain call and renders it; refusals are `{ error, message }` JSON.
 */
import { Hono, type Context } from "hono";
import * as z from "zod/mini";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/browser";
import { readClientInfo } from "~/lib/client-info.server";
import type { Database } from "~/lib/db.server";
import type { AppConfig } from "~/lib/env.server";
import type { Mailer } from "~/lib/mail/mailer.server";
import { getSignedIn, type SignedIn } from "~/auth/session/signed-in.server";
import { readSessionToken } from "~/auth/session/cookies.server";
import { signInCookies } from "~/auth/session/response.server";
import type { AuthDeps } from "~/auth/deps";
import { isRecentlyAuthenticated, stepUpConfirmedPath, stepUpPath } from "~/auth/two-factor/step-up.server";
import { finishPasskeySignIn, finishPasskeyStepUp, beginPasskeyAuthentication } from "./authentication.server";
import { serializePasskeyNotice, serializePasskeyOfferSeen, type PasskeyNotice } from "./cookies.server";
import { PASSKEY_PROBLEMS, type PasskeyProblem } from "./messages";
import { beginPasskeyRegistration, deleteUserPasskey, finishPasskeyRegistration, renameUserPasskey } from "./registration.server";

type PasskeyEnv = {
  Bindings: Env;
  Variables: { config: AppConfig; db: Database; mailer: Mailer; requestId: string };
};
type C = Context<PasskeyEnv>;

// WebAuthn Level 3 toJSON() shapes, as far as we read them. Unknown members are ignored. (zod/mini: the
// same checks as zod's methods, as functions, so the bundle carries only these; BENCHMARKS.md.)
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const base64url = (max = 8192) => z.string().check(z.maxLength(max), z.regex(BASE64URL));
const credentialId = z.string().check(z.minLength(1), z.maxLength(1400), z.regex(BASE64URL));
const extensionResults = z._default(z.optional(z.record(z.string(), z.unknown())), {});
const RegistrationBody = z.object({
  response: z.object({
    id: credentialId,
    rawId: credentialId,
    type: z.literal("public-key"),
    response: z.object({
      clientDataJSON: base64url(),
      attestationObject: base64url(),
      transports: z.optional(z.array(z.string().check(z.maxLength(32))).check(z.maxLength(16))),
    }),
    clientExtensionResults: extensionResults,
  }),
  name: z.optional(z.string().check(z.maxLength(500))),
});
const AuthenticationBody = z.object({
  response: z.object({
    id: credentialId,
    rawId: credentialId,
    type: z.literal("public-key"),
    response: z.object({
      clientDataJSON: base64url(),
      authenticatorData: base64url(),
      signature: base64url(),
      userHandle: z.nullish(base64url(256)),
    }),
    clientExtensionResults: extensionResults,
  }),
  redirectTo: z.nullish(z.string().check(z.maxLength(2048))),
  next: z.nullish(z.string().check(z.maxLength(2048))),
});

function deps(c: C): AuthDeps {
  return {
    db: c.get("db"),
    config: c.get("config"),
    mailer: c.get("mailer"),
    kv: c.env.RATE_LIMITS,
    limiters: { sends: c.env.SEND_BURST, guesses: c.env.GUESS_BURST },
    now: () => new Date(),
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
  };
}

function problem(c: C, reason: PasskeyProblem, retryAfterSeconds?: number): Response {
  const { status, message } = PASSKEY_PROBLEMS[reason];
  if (retryAfterSeconds !== undefined) c.header("Retry-After", String(retryAfterSeconds));
  return c.json({ error: reason, message }, status);
}

/** The JSON body, or null when it isn't JSON (415) or doesn't have the contract's shape (400). */
async function readJson<T>(c: C, schema: z.ZodMiniType<T>): Promise<{ ok: true; body: T } | { ok: false; response: Response }> {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return { ok: false, response: problem(c, "unsupported-media-type") };
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return { ok: false, response: problem(c, "malformed") };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, body: parsed.data } : { ok: false, response: problem(c, "malformed") };
}

const signedIn = (c: C) => getSignedIn(c.req.raw, { db: c.get("db"), config: c.get("config"), now: () => new Date() });

/** The guard for changing passkeys (WAN-5): signed in, and signed in (or stepped up) in the last 10 minutes. */
async function requireRecentSignIn(c: C): Promise<{ ok: true; signedIn: SignedIn } | { ok: false; reason: "signed-out" | "step-up-required" }> {
  const current = await signedIn(c);
  if (!current) return { ok: false, reason: "signed-out" };
  if (!isRecentlyAuthenticated(current.session, new Date())) return { ok: false, reason: "step-up-required" };
  return { ok: true, signedIn: current };
}

function stepUpRequired(c: C): Response {
  const { status, message } = PASSKEY_PROBLEMS["step-up-required"];
  return c.json({ error: "step-up-required", message, stepUpUrl: stepUpPath("/account#passkeys") }, status);
}

export const passkeyRoutes = new Hono<PasskeyEnv>();

// D1 failures reach the Worker's outage handler, which answers this API's callers in JSON (app/worker.ts).

// --- sign in ----------------------------------------------------------------------------------------

passkeyRoutes.post("/auth/passkey/options", async (c) => {
  const result = await beginPasskeyAuthentication(deps(c), { ceremony: { purpose: "sign-in" }, client: readClientInfo(c.req.raw) });
  if (!result.ok) return problem(c, result.reason, result.retryAfterSeconds);
  return c.json(result.options);
});

passkeyRoutes.post("/auth/passkey", async (c) => {
  const read = await readJson(c, AuthenticationBody);
  if (!read.ok) return read.response;
  const client = readClientInfo(c.req.raw);
  const d = deps(c);
  const result = await finishPasskeySignIn(d, {
    response: read.body.response as AuthenticationResponseJSON,
    redirectTo: read.body.redirectTo,
    client,
    previousSessionToken: await readSessionToken(c.req.raw, d.config),
  });
  if (!result.ok) return problem(c, result.reason, result.retryAfterSeconds);
  // The same cookies, device check and new-device alert as every other sign-in; JSON instead of a 303.
  const { headers, location } = await signInCookies(c.req.raw, d, result.outcome, client);
  headers.set("Content-Type", "application/json; charset=UTF-8");
  return new Response(JSON.stringify({ redirectTo: location }), { status: 200, headers });
});

// --- add and manage (account page) ------------------------------------------------------------------

passkeyRoutes.post("/account/passkeys/options", async (c) => {
  const guard = await requireRecentSignIn(c);
  if (!guard.ok) return guard.reason === "step-up-required" ? stepUpRequired(c) : problem(c, guard.reason);
  const { user, session } = guard.signedIn;
  const result = await beginPasskeyRegistration(deps(c), { user, sessionId: session.id, client: readClientInfo(c.req.raw) });
  if (!result.ok) return problem(c, result.reason, result.retryAfterSeconds);
  return c.json(result.options);
});

passkeyRoutes.post("/account/passkeys", async (c) => {
  const guard = await requireRecentSignIn(c);
  if (!guard.ok) return guard.reason === "step-up-required" ? stepUpRequired(c) : problem(c, guard.reason);
  const read = await readJson(c, RegistrationBody);
  if (!read.ok) return read.response;
  const d = deps(c);
  const result = await finishPasskeyRegistration(d, {
    user: guard.signedIn.user,
    response: read.body.response as RegistrationResponseJSON,
    name: read.body.name,
    client: readClientInfo(c.req.raw),
  });
  if (!result.ok) return problem(c, result.reason, result.retryAfterSeconds);
  // This device has a passkey now: the offer after an email sign-in has done its job here.
  c.header("Set-Cookie", await serializePasskeyOfferSeen(d.config));
  return c.json(result.passkey, 201);
});

passkeyRoutes.post("/account/passkey-offer", async (c) => {
  c.header("Set-Cookie", await serializePasskeyOfferSeen(c.get("config")));
  return c.body(null, 204);
});

passkeyRoutes.post("/account/passkeys/:id", async (c) => {
  const config = c.get("config");
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") return problem(c, "unsupported-media-type");
  const guard = await requireRecentSignIn(c);
  if (!guard.ok) {
    const to = guard.reason === "signed-out" ? `/login?${new URLSearchParams({ redirectTo: "/account" })}` : stepUpPath("/account#passkeys");
    return c.redirect(to, 303);
  }
  const { user } = guard.signedIn;
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    return problem(c, "malformed");
  }
  const id = c.req.param("id");
  const client = readClientInfo(c.req.raw);
  let notice: PasskeyNotice;
  switch (form.get("intent")) {
    case "rename": {
      const result = await renameUserPasskey(deps(c), { userId: user.id, id, name: form.get("name"), client });
      notice = result.ok
        ? { kind: "notice", message: `Renamed the passkey to “${result.name}”.` }
        : {
            kind: "error",
            message: result.reason === "empty-name" ? "Give the passkey a name, like “Work laptop”." : PASSKEY_PROBLEMS["not-found"].message,
          };
      break;
    }
    case "delete": {
      const result = await deleteUserPasskey(deps(c), { user, id, client });
      notice = result.ok
        ? {
            kind: "notice",
            message: `Deleted the passkey “${result.name}”. It can't sign in any more; you can also remove it from the device or password manager that holds it.`,
          }
        : { kind: "error", message: PASSKEY_PROBLEMS["not-found"].message };
      break;
    }
    default:
      notice = { kind: "error", message: "That action isn't available. Use the Rename or Delete buttons on the account page." };
  }
  c.header("Set-Cookie", await serializePasskeyNotice(config, notice));
  return c.redirect("/account", 303);
});

// --- step-up ----------------------------------------------------------------------------------------

passkeyRoutes.post("/account/confirm/passkey/options", async (c) => {
  const current = await signedIn(c);
  if (!current) return problem(c, "signed-out");
  const result = await beginPasskeyAuthentication(deps(c), {
    ceremony: { purpose: "step-up", userId: current.user.id, sessionId: current.session.id },
    client: readClientInfo(c.req.raw),
  });
  if (!result.ok) return problem(c, result.reason, result.retryAfterSeconds);
  return c.json(result.options);
});

passkeyRoutes.post("/account/confirm/passkey", async (c) => {
  const current = await signedIn(c);
  if (!current) return problem(c, "signed-out");
  const read = await readJson(c, AuthenticationBody);
  if (!read.ok) return read.response;
  const result = await finishPasskeyStepUp(deps(c), {
    user: current.user,
    sessionId: current.session.id,
    response: read.body.response as AuthenticationResponseJSON,
    client: readClientInfo(c.req.raw),
  });
  if (!result.ok) return problem(c, result.reason, result.retryAfterSeconds);
  // Back to the account page that asked, marked confirmed, as the code and TOTP step-ups do.
  return c.json({ redirectTo: stepUpConfirmedPath(read.body.next) });
});
