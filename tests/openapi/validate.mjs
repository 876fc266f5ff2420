// Validates an OpenAPI document with @apidevtools/swagger-parser, which
// checks it against the OpenAPI 3.1 schema and resolves every $ref.
//
//   node tests/openapi/validate.mjs FILE
//
// Prints "valid: ..." and exits 0, or prints the errors and exits 1 (2 for
// a usage or read error). Run `npm ci` in this directory first
// (tests/deps.sh does).
import { readFile } from "node:fs/promises";

import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  console.error("usage: node validate.mjs FILE");
  process.exit(2);
}

let doc;
try {
  doc = JSON.parse(await readFile(file, "utf8"));
} catch (e) {
  console.error(`${file}: ${e.message}`);
  process.exit(2);
}

try {
  // The parsed object, not the file name: with no base URL there is
  // nothing outside the document that a $ref could make it fetch.
  const api = await SwaggerParser.validate(doc);
  console.log(`valid: OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
} catch (e) {
  // A schema failure's message lists every error, one per line.
  console.error(`invalid: ${e.message}`);
  process.exit(1);
}
