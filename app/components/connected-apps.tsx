import { Form } from "@remix-run/react";
import { scopeWords } from "~/provider/claims";
import { LocalTime } from "~/components/local-time";

export interface ConnectedAppItem {
  clientId: string;
  name: string;
  scope: string;
  lastUsedAt: string | null;
}

/** "Apps you've signed in to" on the account page, each with "Revoke access". */
export function ConnectedApps({ apps, busy }: { apps: ConnectedAppItem[]; busy: boolean }) {
  return (
    <section className="card stack" aria-labelledby="apps">
      <h2 id="apps">Apps you've signed in to</h2>
      {apps.length === 0 ? (
        <p className="muted">None. Apps that use “Sign in with Latchkey” appear here after you sign in to them.</p>
      ) : (
        <ul className="session-list">
          {apps.map((app) => (
            <li key={app.clientId} className="session" data-testid="connected-app">
              <div>
                <p className="session-title">{app.name}</p>
                <p className="muted small">
                  {describeAccess(app.scope)}
                  {app.lastUsedAt ? (
                    <>
                      <br />
                      Last used <LocalTime at={app.lastUsedAt} />
                    </>
                  ) : null}
                </p>
              </div>
              <Form method="post">
                <input type="hidden" name="clientId" value={app.clientId} />
                <button type="submit" name="intent" value="revoke-app" className="secondary" disabled={busy} aria-label={`Revoke access for ${app.name}`}>
                  Revoke access
                </button>
              </Form>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** "Can see your email address; stays signed in when you're away." */
function describeAccess(scope: string): string {
  const words = new Set(scopeWords(scope));
  const parts: string[] = [];
  if (words.has("email")) parts.push("your email address");
  if (words.has("profile")) parts.push("your name and picture");
  const sees = parts.length ? `Can see ${parts.join(" and ")}` : "Knows who you are";
  return words.has("offline_access") ? `${sees}; stays signed in while you're away.` : `${sees}.`;
}
