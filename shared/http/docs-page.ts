/**
 * /docs: a self-contained reference page rendered from the OpenAPI document. Hand-written on
 * purpose: Swagger UI would add ~1 MB to the function or load scripts from a CDN, and this
 * page needs neither JavaScript nor the network.
 */

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null ? (v as Obj) : {});

function schemaBlock(schema: unknown): string {
  return `<details><summary>schema</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`;
}

/** Each route's audience (route.ts audienceOf, as the OpenAPI document's `x-audience`). */
const AUDIENCES: Record<string, { label: string; title: string }> = {
  listener: {
    label: "🔒 listener",
    title: "a bearer token or a session; acts on the caller's own hoard (the owner: any, with ?listener=)",
  },
  owner: { label: "🔒 owner only", title: "the owner's token or session; members get 403 owner_only" },
  handle: {
    label: "public per listener",
    title: "anybody when the listener made their cards public, else 404",
  },
};

/** Who calls this API and how (the README's Listeners section, in short). */
const LISTENERS_HTML = `<h2>Listeners, invites and sessions</h2>
<p>One deployment serves a household: the <b>owner</b>, who deployed it and signs in with the
password (<code>POST /token</code>), and the <b>members</b> the owner invites, each with their own
Spotify account, hoard, playback loop, cards and statistics.</p>
<ul>
<li><b>Invite</b>: the owner calls <code>POST /admin/invites</code> and sends the link it answers,
<code>/login?invite=&lt;code&gt;</code> (single use, 72 hours unless told otherwise).</li>
<li><b>Join and sign in</b>: <code>GET /login</code> (with the invite the first time) goes to Spotify's
consent page; the callback makes the member and opens a <b>session</b>: an httpOnly cookie carrying a
short-lived token, renewed while it is used. <code>GET /logout</code> ends it. A change made with the
cookie must come from this site (<code>Origin</code>), else 403 <code>csrf_origin</code>.</li>
<li><b>Credentials</b>: routes marked 🔒 take <code>Authorization: Bearer &lt;token&gt;</code> or the
session cookie; the password login's token is the owner's.</li>
<li><b>Per listener</b>: every 🔒 listener route acts on the caller's own hoard; the owner may act on
a member's with <code>?listener=&lt;handle&gt;</code> (a member naming anyone gets 403). Members choose
with <code>PATCH /me</code> whether their cards at <code>/u/{handle}/…</code> are public.</li>
<li><b>The household</b>: <code>GET /admin/listeners</code>, <code>/admin/system-stats</code> (every
listener's plays, link, loop, last poll, last seen), <code>DELETE /admin/listeners/{handle}</code> and
<code>DELETE /me</code> (repeat while <code>more</code> is true).</li>
</ul>`;

export function renderDocsPage(doc: Obj): string {
  const info = obj(doc.info);
  const sections: string[] = [];
  for (const [path, ops] of Object.entries(obj(doc.paths))) {
    for (const [method, opRaw] of Object.entries(obj(ops))) {
      const op = obj(opRaw);
      const params = (Array.isArray(op.parameters) ? op.parameters : []).map(obj);
      const paramRows = params
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td><code>${esc(
              JSON.stringify(p.schema),
            )}</code></td></tr>`,
        )
        .join("");
      const body = obj(obj(op.requestBody).content);
      const bodyHtml = Object.entries(body)
        .map(([type, c]) => `<p>Body (<code>${esc(type)}</code>)</p>${schemaBlock(obj(c).schema)}`)
        .join("");
      const responses = Object.entries(obj(op.responses))
        .map(([status, rRaw]) => {
          const r = obj(rRaw);
          const content = Object.entries(obj(r.content))
            .map(([type, c]) => `<code>${esc(type)}</code>${obj(c).schema ? schemaBlock(obj(c).schema) : ""}`)
            .join(" ");
          return `<li><b>${esc(status)}</b> ${esc(r.description)} ${content}</li>`;
        })
        .join("");
      const audience = AUDIENCES[String(op["x-audience"])];
      const locked = audience
        ? ` <span class="lock" title="${esc(audience.title)}">${esc(audience.label)}</span>`
        : "";
      sections.push(`<section id="${esc(op.operationId)}">
<h2><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code>${locked}</h2>
<p>${esc(op.summary)}</p>
${params.length ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${paramRows}</table>` : ""}
${bodyHtml}<ul>${responses}</ul></section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title)} API ${esc(info.version)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
section{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:.8em;padding:.1em .4em}
.get{background:#1b7f3b}.post{background:#1d5fbf}.put,.patch{background:#9a6700}.delete{background:#b42318}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;font-size:.9em}pre{background:#f6f6f6;padding:.5em;overflow:auto}.lock{font-size:.7em;color:#666}</style>
</head><body><h1>${esc(info.title)} <small>${esc(info.version)}</small></h1><p>${esc(info.description)}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a>.</p>
${LISTENERS_HTML}
${sections.join("\n")}</body></html>`;
}
