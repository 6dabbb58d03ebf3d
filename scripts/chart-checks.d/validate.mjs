// Validates rendered Kubernetes manifests offline, for Kubernetes 1.33:
//   node validate.mjs FILE.yaml...
// * every object's apiVersion/kind is one Kubernetes 1.33 serves (an explicit list below; removed versions such as
//   policy/v1beta1 or autoscaling/v2beta2 are named as removed), or the one CRD the chart may render (PrometheusRule);
// * every object passes the kubernetes-models validator of its kind (types, required fields, enums);
// * no object has a field that its schema does not know. kubernetes-models' validators ignore unknown fields, so each
//   object is validated through a Proxy that records every property the validator looks at: the generated (ajv) code
//   reads each known property of an object (`data.minReadySeconds`) and iterates the keys of maps (labels, limits);
//   an own key of the manifest that the validator never read is a field the schema does not have.
// Exit code 1 when anything is wrong, with one line per problem.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);
const modelsRoot = dirname(require.resolve("kubernetes-models/package.json"));

// apiVersion -> kinds served by Kubernetes 1.33 (the kinds a FaceCluster install may render).
const SERVED = {
  v1: ["ConfigMap", "Secret", "Service", "ServiceAccount", "PersistentVolumeClaim", "Namespace"],
  "apps/v1": ["Deployment", "StatefulSet", "DaemonSet"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "policy/v1": ["PodDisruptionBudget"],
  "networking.k8s.io/v1": ["Ingress", "NetworkPolicy"],
  "batch/v1": ["Job", "CronJob"],
};
// API versions removed by Kubernetes 1.33 (or earlier): named as removed rather than unknown.
const REMOVED = new Set([
  "extensions/v1beta1", "apps/v1beta1", "apps/v1beta2", "autoscaling/v2beta1", "autoscaling/v2beta2", "policy/v1beta1",
  "networking.k8s.io/v1beta1", "batch/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta2",
  "flowcontrol.apiserver.k8s.io/v1beta3", "storage.k8s.io/v1beta1", "discovery.k8s.io/v1beta1", "events.k8s.io/v1beta1",
  "rbac.authorization.k8s.io/v1beta1", "scheduling.k8s.io/v1beta1", "node.k8s.io/v1beta1", "certificates.k8s.io/v1beta1",
  "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1", "resource.k8s.io/v1alpha2",
]);

const problems = [];
const validators = new Map();

async function validatorOf(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!validators.has(key)) {
    const [groupName, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["v1", null];
    const modelFile = version ? join(modelsRoot, groupName, version, `${kind}.js`) : join(modelsRoot, "v1", `${kind}.js`);
    const source = readFileSync(modelFile, "utf8");
    const match = /import\{validate\}from"([^"]+)"/.exec(source);
    if (!match) throw new Error(`no validator import in ${modelFile}`);
    const schemaFile = join(dirname(modelFile), match[1]);
    const { validate } = await import(pathToFileURL(schemaFile).href);
    validators.set(key, validate);
  }
  return validators.get(key);
}

// A deep proxy of `value` that records, per JSON pointer, the property names read.
function tracked(value, path, seen, cache) {
  if (value === null || typeof value !== "object") return value;
  if (cache.has(value)) return cache.get(value);
  const read = (key) => {
    if (typeof key !== "string") return;
    if (!seen.has(path)) seen.set(path, new Set());
    seen.get(path).add(key);
  };
  const proxy = new Proxy(value, {
    get(target, key, receiver) {
      read(key);
      const inner = Reflect.get(target, key, receiver);
      return typeof key === "string" ? tracked(inner, `${path}/${key}`, seen, cache) : inner;
    },
    has(target, key) {
      read(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      // Iterating an object's keys (maps, additionalProperties) reads all of them.
      for (const key of Reflect.ownKeys(target)) read(key);
      return Reflect.ownKeys(target);
    },
  });
  cache.set(value, proxy);
  return proxy;
}

function unknownFields(value, path, seen, out) {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, `${path}/${i}`, seen, out));
    return;
  }
  const read = seen.get(path) ?? new Set();
  for (const key of Object.keys(value)) {
    if (!read.has(key)) out.push(`${path}/${key}`);
    else unknownFields(value[key], `${path}/${key}`, seen, out);
  }
}

// The PrometheusRule CRD (monitoring.coreos.com/v1) is not in kubernetes-models: its fields are checked here.
async function checkPrometheusRule(doc, where) {
  const allowed = (obj, keys, at) => {
    for (const key of Object.keys(obj ?? {})) if (!keys.includes(key)) problems.push(`${where}: unknown field ${at}/${key}`);
  };
  allowed(doc, ["apiVersion", "kind", "metadata", "spec"], "");
  const metaValidate = (await import("@kubernetes-models/apimachinery/_schemas/IoK8sApimachineryPkgApisMetaV1ObjectMeta")).validate;
  const seen = new Map();
  if (!metaValidate(tracked(doc.metadata, "/metadata", seen, new WeakMap()))) problems.push(`${where}: metadata: ${JSON.stringify(metaValidate.errors)}`);
  const unknown = [];
  unknownFields(doc.metadata, "/metadata", seen, unknown);
  unknown.forEach((u) => problems.push(`${where}: unknown field ${u}`));
  allowed(doc.spec, ["groups"], "/spec");
  const groups = doc.spec?.groups;
  if (!Array.isArray(groups) || groups.length === 0) problems.push(`${where}: spec.groups must be a non-empty list`);
  (groups ?? []).forEach((group, g) => {
    allowed(group, ["name", "interval", "rules", "labels", "limit", "query_offset", "partial_response_strategy"], `/spec/groups/${g}`);
    if (typeof group.name !== "string" || !group.name) problems.push(`${where}: spec.groups[${g}].name is required`);
    (group.rules ?? []).forEach((rule, r) => {
      const at = `/spec/groups/${g}/rules/${r}`;
      allowed(rule, ["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"], at);
      if (!!rule.alert === !!rule.record) problems.push(`${where}: ${at} needs exactly one of alert and record`);
      if (typeof rule.expr !== "string" || !rule.expr.trim()) problems.push(`${where}: ${at}/expr must be a non-empty string`);
      if (rule.for !== undefined && !/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(rule.for)) problems.push(`${where}: ${at}/for is not a duration: ${rule.for}`);
      for (const map of ["labels", "annotations"]) {
        for (const [k, v] of Object.entries(rule[map] ?? {})) if (typeof v !== "string") problems.push(`${where}: ${at}/${map}/${k} must be a string`);
      }
    });
  });
}

let objects = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [index, parsed] of docs.entries()) {
    if (parsed.errors.length > 0) {
      problems.push(`${file} document ${index + 1}: YAML: ${parsed.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const doc = parsed.toJS();
    if (doc === null || doc === undefined) continue;
    objects++;
    const where = `${file}: ${doc.kind ?? "?"} ${doc.metadata?.name ?? "?"}`;
    const { apiVersion, kind } = doc;
    if (REMOVED.has(apiVersion)) {
      problems.push(`${where}: apiVersion ${apiVersion} was removed from Kubernetes (not served by 1.33)`);
      continue;
    }
    if (apiVersion === "monitoring.coreos.com/v1" && kind === "PrometheusRule") {
      await checkPrometheusRule(doc, where);
      continue;
    }
    if (!(SERVED[apiVersion] ?? []).includes(kind)) {
      problems.push(`${where}: ${apiVersion} ${kind} is not in the list of kinds Kubernetes 1.33 serves (scripts/chart-checks.d/validate.mjs)`);
      continue;
    }
    const validate = await validatorOf(apiVersion, kind);
    const seen = new Map();
    if (!validate(tracked(doc, "", seen, new WeakMap()))) {
      for (const e of validate.errors ?? []) problems.push(`${where}: ${e.instancePath || "/"} ${e.keyword} ${JSON.stringify(e.params)}`);
    }
    const unknown = [];
    unknownFields(doc, "", seen, unknown);
    unknown.forEach((u) => problems.push(`${where}: unknown field ${u}`));
  }
}

for (const p of problems) console.error(`validate: ${p}`);
console.log(`validate: ${objects} objects in ${process.argv.length - 2} files, ${problems.length} problems`);
process.exit(problems.length > 0 || objects === 0 ? 1 : 0);
