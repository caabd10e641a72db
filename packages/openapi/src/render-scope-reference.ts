/**
 * The permission reference of a route table, in the shape of Dynamic's permissions page: one
 * section per scope (grouped when groups are given) with its description and a "Method &
 * Endpoint / Description" table. When the table binds path params to token claims, a header line
 * names the table-wide bindings and each table gets a "Bound to the token" column. Markdown, or
 * one standalone HTML page with a filter box.
 */
import type { Binding, CompiledRule, RouteTable } from '@scopegate/core';

/** What the reference says about a scope. */
export interface ScopeInfo {
  readonly scope: string;
  readonly description?: string;
  /** Section heading the scope is listed under (e.g. "Environment Permissions"). */
  readonly group?: string;
}

export interface RenderOptions {
  /** Descriptions and groups of scopes; scopes the table uses but this omits are listed without. */
  scopes?: readonly ScopeInfo[];
  /** Default `'md'`. */
  format?: 'md' | 'html';
  /** Page title. Default `'API permission scopes'`. */
  title?: string;
}

interface Section {
  scope: string;
  info: ScopeInfo | undefined;
  rows: { method: string; path: string; description: string; note: string; bindings: readonly Binding[] }[];
  /** The table's read-all scope: it grants every GET rather than listed endpoints. */
  readAll?: boolean;
}

const AUTHENTICATED = 'Any authenticated caller';
const PUBLIC = 'Public';

/** Sections in the order scopes first appear in the table (the order the rules were written). */
function sections(table: RouteTable, scopes: readonly ScopeInfo[] = []): Section[] {
  const readAll = table.options.readAllScope;
  const info = new Map(scopes.map((s) => [s.scope, s]));
  const bySection = new Map<string, Section>();
  const add = (name: string, rule: CompiledRule, method: string, note: string) => {
    let section = bySection.get(name);
    if (!section) bySection.set(name, (section = { scope: name, info: info.get(name), rows: [] }));
    section.rows.push({ method, path: rule.path, description: rule.description ?? '', note, bindings: rule.bindings });
  };
  for (const rule of table.rules) {
    for (const method of rule.methods) {
      if (rule.public) add(PUBLIC, rule, method, '');
      else if (rule.anyOf.some((alt) => alt.length === 0)) add(AUTHENTICATED, rule, method, '');
      else {
        for (const alt of rule.anyOf) {
          const others = rule.anyOf.filter((a) => a !== alt).map((a) => a.join(' + '));
          for (const scope of alt) {
            const together = alt.filter((s) => s !== scope);
            const note = [together.length ? `with ${together.join(' + ')}` : '', others.length ? `or ${others.join(' or ')}` : ''].filter(Boolean).join('; ');
            add(scope, rule, method, note);
          }
        }
      }
    }
  }
  // Scopes described but granting no route are listed too (after the others), so nothing is lost.
  for (const s of scopes) if (!bySection.has(s.scope)) bySection.set(s.scope, { scope: s.scope, info: s, rows: [], readAll: s.scope === readAll });
  const list = [...bySection.values()];
  // Keep groups together, in the order their first scope appears.
  const groupOrder = [...new Set(list.map((s) => s.info?.group ?? ''))];
  return list.sort((a, b) => groupOrder.indexOf(a.info?.group ?? '') - groupOrder.indexOf(b.info?.group ?? ''));
}

/** What a page needs to say about bindings. */
interface Bound {
  /** Some rule binds a param: the tables get the "Bound to the token" column. */
  readonly any: boolean;
  /** The table-wide `bind` option, as bindings. */
  readonly tableWide: readonly Binding[];
}

const BOUND_HEADING = 'Bound to the token';

/**
 * Render the permission reference the table enforces. Bound params are shown as
 * "`:environmentId` must equal the token's `environment_id` claim": the table-wide ones in a line
 * under the title, each endpoint's in its own column. Every name is escaped (HTML) or put in a
 * code span (Markdown).
 *
 * @example
 * writeFileSync('permissions.md', renderScopeReference(dynamicTable, { scopes: dynamicScopes }));
 */
export function renderScopeReference(table: RouteTable, options: RenderOptions = {}): string {
  const list = sections(table, options.scopes);
  const title = options.title ?? 'API permission scopes';
  const bound: Bound = {
    any: table.rules.some((r) => r.bindings.length > 0),
    tableWide: Object.entries(table.options.bind ?? {}).map(([param, claim]) => ({ param, claim })),
  };
  return (options.format ?? 'md') === 'html' ? html(title, list, bound) : markdown(title, list, bound);
}

const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Markdown code span for any text: a fence longer than any backtick run in it; pipes escaped for tables. */
function code(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** One binding in words, with `wrap` marking names as code: ":environmentId must equal the token's environment_id claim". */
function bindingWords(b: Binding, wrap: (name: string) => string): string {
  return `${wrap(`:${b.param}`)} must equal the token's ${wrap(b.claim)} claim`;
}

const TABLE_WIDE_INTRO = 'Bindings for the whole table (every endpoint with the param): ';
const READ_ALL_BOUND = ' Bound params must still equal the token\'s claims.';

function markdown(title: string, list: Section[], bound: Bound): string {
  const grouped = list.some((s) => s.info?.group);
  const out = [`# ${title}`, ''];
  if (bound.tableWide.length) out.push(`${TABLE_WIDE_INTRO}${bound.tableWide.map((b) => bindingWords(b, code)).join('; ')}.`, '');
  let group: string | undefined;
  for (const s of list) {
    if (grouped && s.info?.group !== group) {
      group = s.info?.group;
      out.push(`## ${group ?? 'Other'}`, '');
    }
    out.push(`${grouped ? '###' : '##'} ${s.scope}`, '');
    if (s.info?.description) out.push(`Description: ${s.info.description}`, '');
    if (!s.rows.length) {
      out.push(s.readAll ? `Grants every GET (and HEAD) endpoint of this table.${bound.any ? READ_ALL_BOUND : ''}` : 'No endpoint requires this scope.', '');
      continue;
    }
    out.push(bound.any ? `| Method & Endpoint | Description | ${BOUND_HEADING} |` : '| Method & Endpoint | Description |', bound.any ? '| --- | --- | --- |' : '| --- | --- |');
    for (const r of s.rows) {
      const bindings = bound.any ? ` ${r.bindings.map((b) => bindingWords(b, code)).join('; ')} |` : '';
      out.push(`| \`${r.method} ${cell(r.path)}\` | ${cell(r.description)}${r.note ? ` (${cell(r.note)})` : ''} |${bindings}`);
    }
    out.push('');
  }
  return out.join('\n');
}

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const escCode = (name: string) => `<code>${esc(name)}</code>`;

function html(title: string, list: Section[], bound: Bound): string {
  const body = list
    .map((s) => {
      const rows = s.rows
        .map((r) => {
          const bindings = bound.any ? `<td class="bindings">${r.bindings.map((b) => bindingWords(b, escCode)).join('; ')}</td>` : '';
          return `<tr data-method="${esc(r.method)}" data-path="${esc(r.path)}"><td><code>${esc(`${r.method} ${r.path}`)}</code></td><td>${esc(r.description)}${r.note ? ` <em>(${esc(r.note)})</em>` : ''}</td>${bindings}</tr>`;
        })
        .join('\n');
      return [
        `<section class="scope" data-scope="${esc(s.scope)}">`,
        s.info?.group ? `<p class="group">${esc(s.info.group)}</p>` : '',
        `<h2>${esc(s.scope)}</h2>`,
        s.info?.description ? `<p>Description: ${esc(s.info.description)}</p>` : '',
        s.rows.length
          ? `<table><thead><tr><th>Method &amp; Endpoint</th><th>Description</th>${bound.any ? `<th>${esc(BOUND_HEADING)}</th>` : ''}</tr></thead><tbody>\n${rows}\n</tbody></table>`
          : `<p>${s.readAll ? `Grants every GET (and HEAD) endpoint of this table.${bound.any ? esc(READ_ALL_BOUND) : ''}` : 'No endpoint requires this scope.'}</p>`,
        '</section>',
      ].filter(Boolean).join('\n');
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
input[type=search] { width: 100%; padding: .5rem; font-size: 1rem; margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
code { font-size: .9em; }
.group { text-transform: uppercase; font-size: .8em; color: #59636e; margin: 2rem 0 0; }
[hidden] { display: none !important; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
${bound.tableWide.length ? `<p class="bindings">${esc(TABLE_WIDE_INTRO)}${bound.tableWide.map((b) => bindingWords(b, escCode)).join('; ')}.</p>\n` : ''}<input id="filter" type="search" placeholder="Filter by scope, method or path" aria-label="Filter by scope, method or path" autocomplete="off">
<p id="count"></p>
${body}
<script>
(function () {
  var input = document.getElementById('filter');
  var count = document.getElementById('count');
  function apply() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    document.querySelectorAll('section.scope').forEach(function (section) {
      var scope = section.getAttribute('data-scope').toLowerCase();
      var visible = 0;
      section.querySelectorAll('tbody tr').forEach(function (row) {
        var text = scope + ' ' + row.getAttribute('data-method').toLowerCase() + ' ' + row.getAttribute('data-path').toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        row.hidden = !match;
        if (match) visible++;
      });
      section.hidden = words.length > 0 && visible === 0;
      shown += visible;
    });
    count.textContent = shown + (shown === 1 ? ' endpoint' : ' endpoints');
  }
  input.addEventListener('input', apply);
  apply();
})();
</script>
</body>
</html>
`;
}
