// Types for client-sql.mjs, so the integration tests can run the same statements.
export function quote(value: string | number | null | undefined): string;
export const SCOPES: string[];
export function redirectUriProblem(uri: string): string | null;
export function clientIdProblem(id: string): string | null;
export interface ClientRecord {
  id: string;
  name: string;
  secretHash: string | null;
  redirectUris: string[];
  postLogoutUris?: string[];
  firstParty: boolean;
  scopes?: string;
  audience?: string | null;
  signingAlg?: "ES256" | "EdDSA";
  createdAt: number;
}
export function addClientSql(client: ClientRecord, options?: { upsert?: boolean }): string;
export const LIST_CLIENTS_SQL: string;
export function rotateSecretSql(id: string, secretHash: string): string;
export function disableClientSql(id: string, now: number): string[];
export const LIST_KEYS_SQL: string;
export function scheduleKeyRetirementSql(retireAt: number): string;
