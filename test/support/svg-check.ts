import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { measureText } from "#shared/cards/text.ts";

/**
 * Checks an SVG card the way a hostile-input test needs: well-formed XML (parser + the XML 1.0
 * character and entity rules the parser does not check), only the elements the renderer draws,
 * no scripts, event handlers or javascript: URLs, images only as raster data URIs, and every
 * line of text inside the card.
 */

const ALLOWED_ELEMENTS = new Set([
  "svg",
  "title",
  "defs",
  "clipPath",
  "rect",
  "circle",
  "g",
  "image",
  "path",
  "text",
]);
const XML_CHAR_VIOLATION = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const BAD_ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;
const DATA_URI = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const PAD = 20;

type Node = Record<string, unknown> & { ":@"?: Record<string, string> };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  preserveOrder: true,
  processEntities: false,
  trimValues: false,
  parseAttributeValue: false,
  parseTagValue: false,
});

export function decodeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e === "amp") return "&";
    if (e === "lt") return "<";
    if (e === "gt") return ">";
    if (e === "quot") return '"';
    if (e === "apos") return "'";
    return String.fromCodePoint(e.startsWith("#x") ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}

export interface CheckedText {
  text: string;
  x: number;
  size: number;
  bold: boolean;
}

/** Asserts everything above; returns the text lines (decoded) for further checks. */
export function checkSvg(svg: string, context = ""): { width: number; height: number; texts: CheckedText[] } {
  const where = (msg: string) => `${msg}${context ? ` [${context}]` : ""}`;
  const valid = XMLValidator.validate(svg);
  assert.equal(valid, true, where(`well-formed XML: ${JSON.stringify(valid)}`));
  assert.doesNotMatch(svg, XML_CHAR_VIOLATION, where("only XML 1.0 characters"));
  assert.doesNotMatch(svg, BAD_ENTITY, where("every & starts a known entity"));
  assert.doesNotMatch(svg, /<script/i, where("no <script"));
  assert.doesNotMatch(svg, /<!DOCTYPE|<!ENTITY|<\?xml-stylesheet|<!\[CDATA\[/i, where("no DTD, PI or CDATA"));

  const root = parser.parse(svg) as Node[];
  const svgNode = root.find((n) => "svg" in n);
  assert.ok(svgNode, where("an <svg> root"));
  const width = Number(svgNode[":@"]?.width);
  const height = Number(svgNode[":@"]?.height);
  assert.ok(width >= 300 && width <= 800, where(`width ${width} in bounds`));
  const texts: CheckedText[] = [];

  const walk = (nodes: Node[], inherited: { fontSize: number }) => {
    for (const node of nodes) {
      const name = Object.keys(node).find((k) => k !== ":@");
      if (!name || name === "#text") continue;
      assert.ok(ALLOWED_ELEMENTS.has(name), where(`element <${name}> is one the renderer draws`));
      const attrs = node[":@"] ?? {};
      for (const [k, v] of Object.entries(attrs)) {
        assert.doesNotMatch(k, /^on/i, where(`no event handler attribute ${k}`));
        assert.doesNotMatch(String(v), /javascript:/i, where(`no javascript: in ${k}`));
        if (k === "href" || k === "xlink:href") {
          assert.equal(name, "image", where("only images have an href"));
          assert.match(String(v), DATA_URI, where("images are raster data URIs"));
        }
        if (k === "style") assert.fail(where("no style attributes"));
      }
      const children = (node[name] as Node[]) ?? [];
      if (name === "text") {
        const raw = children.map((c) => (typeof c["#text"] === "string" ? c["#text"] : "")).join("");
        assert.equal(children.filter((c) => !("#text" in c)).length, 0, where("text holds text only"));
        const text = decodeXml(raw);
        const size = Number(attrs["font-size"] ?? inherited.fontSize);
        const bold = attrs["font-weight"] !== undefined;
        const ls = Number(attrs["letter-spacing"] ?? 0);
        const x = Number(attrs.x);
        const w = measureText(text, { size, bold, letterSpacing: ls });
        // Where the line starts and ends on the card, from its anchor and direction.
        const rtl = attrs.direction === "rtl";
        const anchor = attrs["text-anchor"] ?? "start";
        const leftAligned = rtl ? anchor === "end" : anchor === "start";
        const left = leftAligned ? x : x - w;
        const right = leftAligned ? x + w : x;
        assert.ok(
          left >= PAD - 0.5 && right <= width - PAD + 0.5,
          where(`"${text}" (${left}..${right}) inside the card`),
        );
        texts.push({ text, x, size, bold });
      } else {
        walk(children, inherited);
      }
    }
  };
  walk([svgNode], { fontSize: 16 });
  return { width, height, texts };
}
