/**
 * The browser half of the passkey ceremonies: fetch options from our JSON endpoints, hand them to
 * @simplewebauthn/browser (which calls navigator.credentials and returns the toJSON() shapes), post the
 * result back. Every failure becomes one sentence a person can act on (messages.ts). Runs only in the
 * browser, after hydration: without JavaScript none of this exists and the email flows are unchanged.
 */
import {
  WebAuthnAbortService,
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  sendSignal,
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import { BROWSER_PROBLEMS, PASSKEY_PROBLEMS, type BrowserProblem, type PasskeyProblem } from "./messages";

export type Failure = { ok: false; message: string; reason: PasskeyProblem | BrowserProblem | "aborted" | "network"; stepUpUrl?: string };

export { browserSupportsWebAuthn as passkeysSupported, browserSupportsWebAuthnAutofill as passkeyAutofillSupported };

/** Stops a pending conditional (autofill) request, e.g. when the person leaves the login page. */
export function cancelPasskeyRequest(): void {
  WebAuthnAbortService.cancelCeremony();
}

async function postJson(path: string, body: unknown = {}): Promise<{ ok: true; data: any } | Failure> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    return { ok: false, reason: "network", message: "We couldn't reach Latchkey. Check your connection and try again." };
  }
  const data = (await response.json().catch(() => null)) as any;
  if (response.ok) return { ok: true, data };
  const reason = (data?.error ?? "malformed") as PasskeyProblem;
  const message = typeof data?.message === "string" ? data.message : (PASSKEY_PROBLEMS[reason]?.message ?? PASSKEY_PROBLEMS.malformed.message);
  return { ok: false, reason, message, stepUpUrl: typeof data?.stepUpUrl === "string" ? data.stepUpUrl : undefined };
}

/** What went wrong in the browser: a closed prompt, an excluded authenticator, no support, or an abort. */
function browserFailure(error: unknown, ceremony: keyof typeof BROWSER_PROBLEMS): Failure {
  const name = (error as { name?: string })?.name;
  const code = (error as { code?: string })?.code;
  if (code === "ERROR_CEREMONY_ABORTED" || name === "AbortError") return { ok: false, reason: "aborted", message: "" };
  let problem: BrowserProblem = "failed";
  if (name === "NotAllowedError") problem = "cancelled";
  else if (code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED" || name === "InvalidStateError") problem = "excluded";
  else if (name === "NotSupportedError" || !browserSupportsWebAuthn()) problem = "unsupported";
  return { ok: false, reason: problem, message: BROWSER_PROBLEMS[ceremony][problem] };
}

/**
 * Signs in with a passkey. `autofill`: wait for the person to pick one from the email field's autofill
 * (conditional mediation) instead of opening the passkey dialog.
 */
export async function signInWithPasskey({ redirectTo, autofill = false }: { redirectTo: string | null; autofill?: boolean }): Promise<{ ok: true; redirectTo: string } | Failure> {
  const options = await postJson("/auth/passkey/options");
  if (!options.ok) return options;
  let response;
  try {
    response = await startAuthentication({ optionsJSON: options.data as PublicKeyCredentialRequestOptionsJSON, useBrowserAutofill: autofill });
  } catch (error) {
    return browserFailure(error, "sign-in");
  }
  const result = await postJson("/auth/passkey", { response, redirectTo });
  if (result.ok) return { ok: true, redirectTo: String(result.data.redirectTo) };
  if (result.reason === "unknown-credential") {
    // WebAuthn Signal API: the browser's password manager can hide or delete a passkey we no longer know.
    const rpID = (options.data as PublicKeyCredentialRequestOptionsJSON).rpId ?? location.hostname;
    await sendSignal({ signalName: "unknownCredential", rpID, credentialID: response.id }).catch(() => undefined);
  }
  return result;
}

/** Creates a passkey on this device and adds it to the signed-in account. */
export async function addPasskey(name?: string): Promise<{ ok: true; passkey: { id: string; name: string } } | Failure> {
  const options = await postJson("/account/passkeys/options");
  if (!options.ok) return options;
  let response;
  try {
    response = await startRegistration({ optionsJSON: options.data as PublicKeyCredentialCreationOptionsJSON });
  } catch (error) {
    return browserFailure(error, "register");
  }
  const result = await postJson("/account/passkeys", name ? { response, name } : { response });
  return result.ok ? { ok: true, passkey: result.data } : result;
}

/** Confirms it's you with one of the account's passkeys; answers where to go next. */
export async function stepUpWithPasskey(next: string): Promise<{ ok: true; redirectTo: string } | Failure> {
  const options = await postJson("/account/confirm/passkey/options");
  if (!options.ok) return options;
  let response;
  try {
    response = await startAuthentication({ optionsJSON: options.data as PublicKeyCredentialRequestOptionsJSON });
  } catch (error) {
    return browserFailure(error, "step-up");
  }
  const result = await postJson("/account/confirm/passkey", { response, next });
  return result.ok ? { ok: true, redirectTo: String(result.data.redirectTo) } : result;
}

/** Remembers (in a cookie) that this device was offered a passkey, so the offer isn't repeated. */
export async function markPasskeyOfferSeen(): Promise<void> {
  await fetch("/account/passkey-offer", { method: "POST", credentials: "same-origin" }).catch(() => undefined);
}
