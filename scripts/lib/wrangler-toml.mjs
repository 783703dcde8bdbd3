// Reads and edits the few values of wrangler.toml that setup and the deploy check care about, line by
// line, so every comment and the file's layout survive an edit. Not a TOML parser: it understands
// `[table]` / `[[array]]` headers and `key = "basic string"` lines, which is all wrangler.toml uses for
// these values.

const HEADER = /^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(#.*)?$/;

/**
 * The line ranges of each table. `where` picks one: { table: "vars" } for [vars], { table: "", } for the
 * top level, { array: "d1_databases", match: ["binding", "DB"] } for the [[d1_databases]] whose binding
 * is "DB".
 */
function sections(lines) {
  const found = [{ kind: "top", name: "", start: 0, end: lines.length }];
  lines.forEach((line, i) => {
    const header = HEADER.exec(line);
    if (!header) return;
    found.at(-1).end = i;
    found.push({ kind: header[1] === "[[" ? "array" : "table", name: header[2], start: i, end: lines.length });
  });
  return found;
}

function keyPattern(key) {
  return new RegExp(`^(\\s*${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*=\\s*)(.*?)\\s*$`);
}

/** A TOML basic string, or (for non-strings) the raw text without a trailing comment. */
function parseValue(raw) {
  const string = /^("(?:[^"\\]|\\.)*")/.exec(raw);
  if (string) return JSON.parse(string[1]);
  return raw.replace(/\s+#.*$/, "").trim();
}

function findSection(lines, where) {
  return sections(lines).find((section) => {
    if (where.table !== undefined) return where.table === "" ? section.kind === "top" : section.kind === "table" && section.name === where.table;
    if (section.kind !== "array" || section.name !== where.array) return false;
    if (!where.match) return true;
    const [key, value] = where.match;
    return readIn(lines, section, key) === value;
  });
}

function readIn(lines, section, key) {
  const pattern = keyPattern(key);
  for (let i = section.start; i < section.end; i++) {
    const match = pattern.exec(lines[i]);
    if (match && !lines[i].trimStart().startsWith("#")) return parseValue(match[2]);
  }
  return undefined;
}

export function hasSection(text, where) {
  return findSection(text.split("\n"), where) !== undefined;
}

export function readValue(text, where, key) {
  const lines = text.split("\n");
  const section = findSection(lines, where);
  return section ? readIn(lines, section, key) : undefined;
}

/** `value` is written as a TOML basic string, or as an array of them. */
export function formatValue(value) {
  return Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(", ")}]` : JSON.stringify(value);
}

/**
 * Sets `key` in the section to `value`, keeping the line's indentation and any trailing comment; a key
 * that isn't there yet goes after the section's last key. Throws if the section doesn't exist.
 */
export function setValue(text, where, key, value) {
  const lines = text.split("\n");
  const section = findSection(lines, where);
  if (!section) throw new Error(`wrangler.toml has no ${where.table !== undefined ? `[${where.table}]` : `[[${where.array}]]`} section`);
  const pattern = keyPattern(key);
  const formatted = formatValue(value);
  for (let i = section.start; i < section.end; i++) {
    const match = pattern.exec(lines[i]);
    if (!match || lines[i].trimStart().startsWith("#")) continue;
    const comment = /^"(?:[^"\\]|\\.)*"(\s+#.*)$/.exec(match[2])?.[1] ?? "";
    lines[i] = `${match[1]}${formatted}${comment}`;
    return lines.join("\n");
  }
  let last = section.kind === "top" ? -1 : section.start;
  for (let i = section.start; i < section.end; i++) if (/^\s*[A-Za-z0-9_-]+\s*=/.test(lines[i])) last = i;
  lines.splice(last + 1, 0, `${key} = ${formatted}`);
  return lines.join("\n");
}

/** Appends a new [[array]] table with the given comment lines and keys. */
export function appendArrayTable(text, name, comments, entries) {
  const block = [`[[${name}]]`, ...comments.map((c) => `# ${c}`), ...Object.entries(entries).map(([k, v]) => `${k} = ${formatValue(v)}`)];
  return `${text.replace(/\n*$/, "")}\n\n${block.join("\n")}\n`;
}

// The ids and values the shipped wrangler.toml carries until setup replaces them.
export const PLACEHOLDER_HOST = "latchkey.example.com";
export const isPlaceholderId = (id) => typeof id !== "string" || /^[0-]*$/.test(id);
export const isPlaceholderUrl = (url) => {
  try {
    return new URL(url).hostname === PLACEHOLDER_HOST;
  } catch {
    return true;
  }
};
export const isPlaceholderFrom = (from) => typeof from !== "string" || from.toLowerCase().includes(`@${PLACEHOLDER_HOST}`);

export const D1 = { array: "d1_databases", match: ["binding", "DB"] };
export const KV = { array: "kv_namespaces", match: ["binding", "RATE_LIMITS"] };
export const VARS = { table: "vars" };
export const TOP = { table: "" };
export const SEND_EMAIL = { array: "send_email", match: ["name", "EMAIL"] };
