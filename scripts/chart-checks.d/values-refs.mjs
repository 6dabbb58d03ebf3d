// Every value the chart's templates read exists in values.yaml and in values.schema.json:
//   node values-refs.mjs CHART_DIR
// Reads `.Values.a.b` in every template, and the aliases the templates use for parts of .Values:
// `$v` (= .Values), `$r` (= .Values.redis.bundled) and `$silo` (= .Values.cpuSilo or .Values.gpuSilo: a path read through
// `$silo` must exist in at least one of them, since gpu-only values such as gpusPerSilo are read in gpu branches only;
// those read by every silo must exist in both, listed in BOTH_SILOS below). Exit code 1 naming each missing path.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const chart = process.argv[2];
const values = parse(readFileSync(join(chart, "values.yaml"), "utf8"));
const schema = JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8"));

const ALIASES = { $v: [[]], $r: [["redis", "bundled"]], $silo: [["cpuSilo"], ["gpuSilo"]] };
// Read for every silo: must exist in both cpuSilo and gpuSilo.
const BOTH_SILOS = ["image", "image.repository", "image.tag", "workerSlots", "resources", "nodeSelector", "tolerations", "affinity", "podAnnotations"];

function inValues(path) {
  let node = values;
  for (const key of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

function inSchema(path) {
  let node = schema;
  for (const key of path) {
    const props = node?.properties;
    if (!props || !(key in props)) return false;
    node = props[key];
  }
  return true;
}

const refs = new Map(); // "a.b.c" -> [where]
const add = (path, where) => {
  const key = path.join(".");
  if (!refs.has(key)) refs.set(key, []);
  refs.get(key).push(where);
};

const templates = join(chart, "templates");
let files = 0;
for (const file of readdirSync(templates).sort()) {
  if (!/\.(ya?ml|tpl|txt)$/.test(file)) continue;
  files++;
  const text = readFileSync(join(templates, file), "utf8");
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const where = `templates/${file}:${i + 1}`;
    for (const m of line.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) add(m[1].slice(1).split("."), where);
    for (const m of line.matchAll(/(\$v|\$r|\$silo)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
      const rest = m[2].slice(1).split(".");
      if (m[1] === "$silo") {
        const prefixes = BOTH_SILOS.includes(rest.join(".")) ? [["cpuSilo"], ["gpuSilo"]] : null;
        if (prefixes) prefixes.forEach((p) => add([...p, ...rest], where));
        else add([`(cpuSilo|gpuSilo)`, ...rest], where);
      } else {
        ALIASES[m[1]].forEach((p) => add([...p, ...rest], where));
      }
    }
  });
}

const problems = [];
for (const [key, where] of refs) {
  const path = key.split(".");
  const candidates = path[0] === "(cpuSilo|gpuSilo)" ? [["cpuSilo", ...path.slice(1)], ["gpuSilo", ...path.slice(1)]] : [path];
  if (!candidates.some(inValues)) problems.push(`${key} (${where[0]}) is not in values.yaml`);
  if (!candidates.some(inSchema)) problems.push(`${key} (${where[0]}) is not in values.schema.json`);
}

for (const p of problems) console.error(`values-refs: ${p}`);
console.log(`values-refs: ${refs.size} value paths read by ${files} templates, ${problems.length} problems`);
process.exit(problems.length > 0 || refs.size === 0 ? 1 : 0);
