/**
 * The Google stand-in's test accounts and the ID tokens it signs for them, shared by its OAuth endpoints
 * (google-stand-in.ts) and its One Tap script (google-one-tap-stand-in.ts). The tokens look like Google's
 * where the app checks them (RS256 with a kid from a published JWKS, iss, aud/azp, sub, the email
 * claims, nonce), so the app's real verification runs against them unchanged. Dev-only.
 */
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { GoogleConfig } from "~/lib/env.server";

export interface TestGoogleUser {
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  /** Google Workspace domain. */
  hd: string | null;
}

/** Ready-made people: a consumer account, a Workspace account, and one whose email isn't verified. */
export const PRESET_GOOGLE_USERS: TestGoogleUser[] = [
  { sub: "110000000000000000001", email: "ada@example.com", emailVerified: true, name: "Ada Lovelace", picture: null, hd: null },
  { sub: "110000000000000000002", email: "grace@navy.example", emailVerified: true, name: "Grace Hopper", picture: null, hd: "navy.example" },
  { sub: "110000000000000000003", email: "unverified@example.com", emailVerified: false, name: "Unverified Person", picture: null, hd: null },
];

/** Everything the Google stand-in keeps in KV starts with this, so it never meets the app's own keys. */
export const GOOGLE_STAND_IN_KV_PREFIX = "google-stand-in:";

const SIGNING_KEY = `${GOOGLE_STAND_IN_KV_PREFIX}signing-key`;
const ID_TOKEN_LIFETIME_SECONDS = 3600;

interface SigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

let cachedKey: Promise<SigningKey> | undefined;

/** The stand-in's RSA key: made once, kept in KV so restarts and other isolates publish the same JWKS. */
function signingKey(kv: KVNamespace): Promise<SigningKey> {
  cachedKey ??= (async () => {
    const stored = await kv.get<SigningKey>(SIGNING_KEY, "json");
    if (stored) return stored;
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const key: SigningKey = { kid, privateJwk: await exportJWK(privateKey), publicJwk: { ...publicJwk, kid, alg: "RS256", use: "sig" } };
    await kv.put(SIGNING_KEY, JSON.stringify(key));
    return key;
  })().catch((error) => {
    // A failed first attempt must not stick for the isolate's life: the next request tries again.
    cachedKey = undefined;
    throw error;
  });
  return cachedKey;
}

/** The JWKS the app fetches to verify the stand-in's ID tokens: the one public key. */
export async function publicJwks(kv: KVNamespace): Promise<{ keys: JWK[] }> {
  return { keys: [(await signingKey(kv)).publicJwk] };
}

/** An ID token as Google mints them: RS256, kid, iss, azp/aud = the client, sub, email claims, nonce. */
export async function mintIdToken(
  { kv, google }: { kv: KVNamespace; google: GoogleConfig },
  user: TestGoogleUser,
  nonce: string,
): Promise<string> {
  const key = await signingKey(kv);
  const picture = user.picture ?? `${google.issuers[0]}/avatars/${encodeURIComponent(user.sub)}.svg`;
  return new SignJWT({
    azp: google.clientId,
    email: user.email,
    email_verified: user.emailVerified,
    ...(user.name ? { name: user.name, given_name: user.name.split(" ")[0] } : {}),
    picture,
    ...(user.hd ? { hd: user.hd } : {}),
    nonce,
  })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
    .setIssuer(google.issuers[0]!)
    .setAudience(google.clientId)
    .setSubject(user.sub)
    .setIssuedAt()
    .setExpirationTime(`${ID_TOKEN_LIFETIME_SECONDS}s`)
    .sign(await importJWK(key.privateJwk, "RS256"));
}
