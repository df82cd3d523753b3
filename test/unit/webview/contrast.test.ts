import assert from 'node:assert/strict';
import { contrastFailures, contrastRatio, effectiveContrast, parseColor } from '../../e2e/ui/contrast';

// The contrast arithmetic behind the UI test's theme pass (test/e2e/ui/contrast.ts): WCAG ratios, translucent
// backgrounds composited over what is under them, and the failures it reports.

describe('contrast checks of the UI test', () => {
  it('computes WCAG ratios from computed colours', () => {
    assert.equal(contrastRatio(parseColor('rgb(0, 0, 0)'), parseColor('rgb(255, 255, 255)')), 21);
    assert.equal(contrastRatio(parseColor('rgb(10, 20, 30)'), parseColor('rgb(10, 20, 30)')), 1);
    // VS Code's editorWarning.foreground in Light+ on white: under 4.5:1.
    assert.equal(contrastRatio(parseColor('rgb(191, 136, 3)'), parseColor('rgb(255, 255, 255)')).toFixed(2), '3.12');
    assert.deepEqual(parseColor('rgba(1, 2, 3, 0.5)'), [1, 2, 3, 0.5]);
    assert.deepEqual(parseColor('rgb(1 2 3 / 25%)'), [1, 2, 3, 0.25]);
    assert.throws(() => parseColor('#ffffff'), /not a computed colour/);
  });

  it('composites translucent backgrounds and text over the page canvas', () => {
    // Half-transparent black over white is mid grey; white text on it.
    const { ratio, background } = effectiveContrast('rgb(255, 255, 255)', ['rgba(0, 0, 0, 0.5)', 'rgba(0, 0, 0, 0)'], 'rgb(255, 255, 255)');
    assert.deepEqual(background.map(Math.round), [128, 128, 128, 1]);
    assert.equal(ratio.toFixed(2), '3.98');
    // Transparent text has no contrast at all.
    assert.equal(effectiveContrast('rgba(0, 0, 0, 0)', [], 'rgb(255, 255, 255)').ratio, 1);
  });

  it('reports the checks under their minimum', () => {
    const base = { color: 'rgb(0, 0, 0)', background: 'rgb(255, 255, 255)' };
    const failures = contrastFailures([
      { ...base, name: 'body', selector: 'p', min: 4.5, ratio: 4.49 },
      { ...base, name: 'icon', selector: '.codicon', min: 3, ratio: 3 },
    ]);
    assert.deepEqual(failures, ['body (p): 4.49:1 < 4.5:1 (rgb(0, 0, 0) on rgb(255, 255, 255))']);
  });
});
