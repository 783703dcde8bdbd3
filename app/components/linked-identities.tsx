import { Form } from "@remix-run/react";

export interface LinkedIdentityView {
  id: string;
  provider: "github" | "google";
  login: string | null;
  name: string | null;
  email: string | null;
  hostedDomain: string | null;
}

/** How a linked account is named: GitHub by its login, Google by its address (and Workspace domain). */
function describe(identity: LinkedIdentityView): { label: string; text: string } {
  if (identity.provider === "google") {
    const email = identity.email ?? "unknown address";
    return { label: `Google account ${email}`, text: `${email}${identity.name ? ` (${identity.name})` : ""}` };
  }
  return { label: `GitHub account @${identity.login}`, text: "" };
}

/** The account page's "Linked accounts": every provider account that can sign in here, each with Unlink. */
export function LinkedIdentities({ identities, busy }: { identities: LinkedIdentityView[]; busy: boolean }) {
  if (identities.length === 0) return <>Not linked</>;
  return (
    <ul className="plain-list" data-testid="linked-identities">
      {identities.map((identity) => {
        const { label, text } = describe(identity);
        return (
          <li key={identity.id}>
            <Form method="post" className="inline-form">
              <input type="hidden" name="identityId" value={identity.id} />
              {identity.provider === "github" ? (
                <span>
                  <span className="muted">GitHub </span>@{identity.login}
                  {identity.name ? ` (${identity.name})` : ""}
                </span>
              ) : (
                <span>
                  <span className="muted">Google </span>
                  {text}
                  {identity.hostedDomain ? <span className="badge">{`Workspace: ${identity.hostedDomain}`}</span> : null}
                </span>
              )}
              <button type="submit" name="intent" value="unlink-identity" className="link-button" disabled={busy} aria-label={`Unlink ${label}`}>
                Unlink
              </button>
            </Form>
          </li>
        );
      })}
    </ul>
  );
}
