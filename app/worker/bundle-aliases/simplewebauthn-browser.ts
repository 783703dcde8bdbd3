/**
 * `@simplewebauthn/browser` inside the Worker bundle (wrangler.toml [alias]). The passkey ceremonies run
 * in the browser after hydration (app/auth/passkeys/client.ts); the server build imports the module only
 * because the components that call it are rendered there too. A Worker has no WebAuthn, so here support
 * is "no" and a ceremony can't start, which is what the real module would find in workerd. Typed against
 * the real module, and a named import of anything not listed fails the build. Saves 12 KiB minified.
 */
import type * as Browser from "@simplewebauthn/browser";

function browserOnly(): never {
  throw new Error("@simplewebauthn/browser runs in the browser; the Worker never starts a WebAuthn ceremony");
}

export const browserSupportsWebAuthn: typeof Browser.browserSupportsWebAuthn = () => false;
export const browserSupportsWebAuthnAutofill: typeof Browser.browserSupportsWebAuthnAutofill = async () => false;
export const startAuthentication: typeof Browser.startAuthentication = async () => browserOnly();
export const startRegistration: typeof Browser.startRegistration = async () => browserOnly();
export const sendSignal: typeof Browser.sendSignal = async () => browserOnly();
export const WebAuthnAbortService: typeof Browser.WebAuthnAbortService = {
  createNewAbortSignal: () => new AbortController().signal,
  cancelCeremony() {},
};
