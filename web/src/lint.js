// bpmnlint in the browser: the rules named by web/.bpmnlintrc, resolved and bundled at build
// time (build.mjs compiles the config into a module that imports each rule). Its findings
// are advice shown beside the server's; only the server's check decides a deployment.

import { Linter } from 'bpmnlint';

import bundle from '../.bpmnlintrc';


// What each rule means, as a designer would read it.
const RULE_TEXT = {
  'ad-hoc-sub-process': 'Tiến trình con ad-hoc không hợp lệ',
  'conditional-flows': 'Luồng ra của cổng hoặc công việc thiếu điều kiện',
  'end-event-required': 'Quy trình chưa có sự kiện kết thúc',
  'event-based-gateway': 'Cổng theo sự kiện nối tới phần tử không phải sự kiện chờ',
  'event-sub-process-typed-start-event': 'Tiến trình con theo sự kiện cần sự kiện bắt đầu có loại',
  'fake-join': 'Nhiều luồng vào một công việc mà không qua cổng hợp',
  global: 'Phần tử dùng chung bị khai báo sai chỗ',
  'label-required': 'Phần tử chưa có tên',
  'link-event': 'Sự kiện liên kết không ghép đôi',
  'no-bpmndi': 'Phần tử không có hình trên sơ đồ',
  'no-complex-gateway': 'Không dùng cổng phức hợp',
  'no-disconnected': 'Phần tử không nối với luồng nào',
  'no-duplicate-sequence-flows': 'Hai luồng trùng nhau',
  'no-gateway-join-fork': 'Một cổng vừa hợp vừa tách luồng',
  'no-implicit-split': 'Tách luồng ngầm (nên dùng cổng)',
  'no-implicit-end': 'Kết thúc ngầm (thiếu sự kiện kết thúc)',
  'no-implicit-start': 'Bắt đầu ngầm (thiếu sự kiện bắt đầu)',
  'no-inclusive-gateway': 'Cổng bao hàm không được khuyến khích',
  'no-overlapping-elements': 'Các phần tử chồng lên nhau',
  'single-blank-start-event': 'Có nhiều sự kiện bắt đầu không loại',
  'single-event-definition': 'Sự kiện có nhiều định nghĩa',
  'start-event-required': 'Quy trình chưa có sự kiện bắt đầu',
  'sub-process-blank-start-event': 'Tiến trình con cần sự kiện bắt đầu không loại',
  'superfluous-gateway': 'Cổng thừa (chỉ một luồng vào và một luồng ra)',
  'superfluous-label': 'Nhãn thừa',
  'superfluous-termination': 'Sự kiện kết thúc hủy bỏ là thừa',
};

function ruleTitle(name) {
  const short = name.replace(/^bpmnlint\//, '');
  return RULE_TEXT[short] || short;
}

/**
 * Returns bpmnlint's findings for the diagram open in the modeler, in the shape of the
 * server's: {severity, element, name, message, source: 'bpmnlint', rule}.
 */
export async function lintDiagram(modeler) {
  const definitions = modeler.getDefinitions();
  if (!definitions) return [];
  // A linter per run: rules keep state while they walk a diagram (no-duplicate-sequence-flows
  // remembers every flow it saw) and the linter caches rule instances.
  const linter = new Linter({ config: bundle.config, resolver: bundle.resolver });
  const reports = await linter.lint(definitions);
  const registry = modeler.get('elementRegistry');
  const findings = [];
  for (const [rule, entries] of Object.entries(reports)) {
    for (const entry of entries) {
      const element = entry.id && registry.get(entry.id) ? entry.id : 'document';
      findings.push({
        severity: entry.category === 'error' ? 'error' : 'warning',
        element,
        name: element === 'document' ? null : registry.get(element).businessObject.name || null,
        line: null,
        message: `${ruleTitle(rule)} (${entry.message})`,
        source: 'bpmnlint',
        rule,
      });
    }
  }
  return findings;
}
