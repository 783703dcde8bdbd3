import { Form, Link } from "@remix-run/react";

/**
 * The header's account menu: the signed-in address, the account pages, and Sign out. A <details>
 * disclosure, so it opens and closes without JavaScript and with the keyboard; sign-out is a POST.
 */
export function AccountMenu({ email }: { email: string }) {
  return (
    <details className="account-menu">
      <summary aria-label={`Account menu for ${email}`}>
        <span className="account-menu-email">{email}</span>
      </summary>
      <div className="account-menu-panel">
        <Link to="/dashboard">Dashboard</Link>
        <Link to="/account">Account &amp; security</Link>
        <Form method="post" action="/logout">
          <button type="submit" className="link-button">
            Sign out
          </button>
        </Form>
      </div>
    </details>
  );
}
