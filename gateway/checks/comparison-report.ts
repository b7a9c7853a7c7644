/** The comparison's report: Markdown for people, JSON for the platform. */
import type { ComparisonEvaluation } from './comparison.js';

const f = (x: number | undefined, digits = 4): string => (x === undefined ? '–' : Number(x.toPrecision(digits)).toString());
/** Table cells may hold lab names from the participants' files: keep them from breaking the table. */
const cell = (s: string): string => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');

export function comparisonMarkdown(e: ComparisonEvaluation): string {
  const lines = [
    `# Comparison ${cell(e.comparison)}`,
    '',
    `Artefact: ${cell(e.artefact)}. Quantity: ${cell(e.quantity)} in ${cell(e.unit) || '(no unit)'}.`,
    '',
    e.flagged.length === 0
      ? 'Every result is satisfactory (|En| ≤ 1).'
      : `**Not satisfactory:** ${e.flagged.map((x) => `${cell(x.lab)} at ${f(x.nominal)} (En ${f(x.en, 3)})`).join('; ')}.`,
  ];
  for (const p of e.points) {
    lines.push('', `## Point ${f(p.nominal)} ${cell(e.unit)}`, '');
    lines.push(`Reference value (${p.reference.method}): ${f(p.reference.value, 8)} ± ${f(p.reference.U, 3)} (k = ${p.reference.k}).`);
    if (p.consistency) {
      const excluded = p.consistency.excluded.length > 0 ? ` Left out of the mean: ${p.consistency.excluded.map(cell).join(', ')}.` : '';
      lines.push(
        `Consistency (χ², 5 %): ${f(p.consistency.chi2, 3)} against ${f(p.consistency.critical, 3)}: ${p.consistency.consistent ? 'consistent' : 'not consistent'}.${excluded}`,
      );
    }
    lines.push('', '| lab | value | U | x − X | En | ζ | z′ | verdict |', '|---|---|---|---|---|---|---|---|');
    for (const s of p.scores) {
      lines.push(
        `| ${cell(s.lab)} | ${f(s.value, 8)} | ${f(s.U, 3)} | ${f(s.difference, 3)} | ${f(s.en, 3)} | ${f(s.zeta, 3)} | ${f(s.zPrime, 3)} | ${s.enVerdict}${s.zVerdict ? ` / ${s.zVerdict}` : ''} |`,
      );
    }
  }
  lines.push('', 'En = (x − X)/√(U_x² + U_X²) (√(U_x² − U_X²) for a result in the weighted mean); z′ = (x − X)/√(σ_pt² + u_X²); ISO 13528:2022.', '');
  return lines.join('\n');
}
