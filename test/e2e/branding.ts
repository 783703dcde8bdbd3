/** The branding the second e2e server runs with (playwright.config.ts), for theming.spec.ts to check. */
export const BRAND = {
  BRAND_NAME: "Acme ID",
  BRAND_ACCENT_COLOR: "#0f766e",
  BRAND_LOGO_URL: "/favicon.svg",
  SUPPORT_EMAIL: "help@acme.example",
  LEGAL_TERMS_URL: "https://acme.example/terms",
  LEGAL_PRIVACY_URL: "https://acme.example/privacy",
};

/** That server's address: the port after the main e2e server's. */
export const brandedBaseUrl = () => `http://localhost:${Number(process.env.E2E_PORT ?? 8787) + 1}`;
