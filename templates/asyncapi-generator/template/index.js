// The generator needs a template content directory, so the template has this React entry; it renders no file and
// package.json's `conditionalGeneration` (a validation no value passes) keeps the generator from even loading it.
// Rendering it would need @asyncapi/generator-react-sdk's dependencies installed beside the template, and files
// written by the generator's own writer would overwrite user-owned handler stubs. eventgen's pipeline runs in
// hooks/eventgen.js (`generate:after`) and writes through eventgen's writer. See docs/asyncapi-generator.md.
export default function EventgenTree() {
  return null;
}
