import { describe, expect, it } from 'vitest';
import { readValues } from '../../gateway/calibration/dcc/si-values.js';
import { parseSymbolUnit } from '../../gateway/calibration/dcc/units.js';
import { parseXml } from '../../gateway/calibration/dcc/xml-tree.js';

/** One dcc:quantity holding `body`, with the DCC and D-SI namespaces bound as in a certificate. */
function quantity(body: string) {
  return parseXml(`<dcc:quantity xmlns:dcc="https://ptb.de/dcc" xmlns:si="https://ptb.de/si" refType="basic_measurementError">${body}</dcc:quantity>`);
}

describe('D-SI value forms', () => {
  it('si:real with the D-SI 2.x expanded uncertainty (si:measurementUncertaintyUnivariate / si:expandedMU)', () => {
    const q = quantity(`<si:real><si:value>1.0002</si:value><si:unit>\\kilogram</si:unit>
      <si:measurementUncertaintyUnivariate><si:expandedMU>
        <si:valueExpandedMU>0.0000016</si:valueExpandedMU><si:coverageFactor>2</si:coverageFactor><si:coverageProbability>0.95</si:coverageProbability>
      </si:expandedMU></si:measurementUncertaintyUnivariate></si:real>`);
    expect(readValues(q, parseSymbolUnit('g'), 'absolute')).toMatchObject({ values: [1000.2], U: [0.0016], k: [2], unitText: '\\kilogram' });
  });

  it('si:real with only a standard uncertainty: U = u at k = 1', () => {
    const q = quantity(`<si:real><si:value>5</si:value><si:unit>\\volt</si:unit>
      <si:measurementUncertaintyUnivariate><si:standardMU><si:valueStandardMU>0.00012</si:valueStandardMU></si:standardMU></si:measurementUncertaintyUnivariate></si:real>`);
    expect(readValues(q, parseSymbolUnit('mV'), 'difference')).toMatchObject({ values: [5000], U: [0.12], k: [1] });
  });

  it('si:real with the older si:expandedUnc', () => {
    const q = quantity(`<si:real><si:value>-12</si:value><si:unit>\\micro\\volt</si:unit>
      <si:expandedUnc><si:uncertainty>3</si:uncertainty><si:coverageFactor>2.1</si:coverageFactor><si:coverageProbability>0.95</si:coverageProbability></si:expandedUnc></si:real>`);
    expect(readValues(q, parseSymbolUnit('mV'), 'difference')).toMatchObject({ values: [-0.012], U: [0.003], k: [2.1] });
  });

  it("si:hybrid: the representation in the channel's own unit is used as written", () => {
    // The two representations differ in the last digit on purpose, to show which one was read.
    const q = quantity(`<si:hybrid>
      <si:realListXMLList><si:valueXMLList>306.25 373.12</si:valueXMLList><si:unitXMLList>\\kelvin</si:unitXMLList></si:realListXMLList>
      <si:realListXMLList><si:valueXMLList>33.098 99.971</si:valueXMLList><si:unitXMLList>\\degreecelsius</si:unitXMLList></si:realListXMLList>
    </si:hybrid>`);
    expect(readValues(q, parseSymbolUnit('°C'), 'absolute').values).toEqual([33.098, 99.971]);
    expect(readValues(q, parseSymbolUnit('K'), 'absolute').values).toEqual([306.25, 373.12]);
    // No representation in °F: the first that converts (kelvin) is converted.
    expect(readValues(q, parseSymbolUnit('°F'), 'absolute').values).toEqual([91.58, 211.946]);
  });

  it('an uncertainty missing its coverage factor is an error, not a silent k = 2', () => {
    const q = quantity(`<si:real><si:value>1</si:value><si:unit>\\kelvin</si:unit>
      <si:expandedUnc><si:uncertainty>0.1</si:uncertainty></si:expandedUnc></si:real>`);
    expect(() => readValues(q, parseSymbolUnit('K'), 'difference')).toThrow(
      'dcc:quantity[refType=basic_measurementError]/si:real/si:expandedUnc: expanded uncertainty without its coverage factor (si:coverageFactor)',
    );
  });

  it('a coverage-interval uncertainty is refused rather than dropped', () => {
    const q = quantity(`<si:real><si:value>1</si:value><si:unit>\\kelvin</si:unit>
      <si:measurementUncertaintyUnivariate><si:coverageIntervalMU><si:valueStandardMU>0.1</si:valueStandardMU></si:coverageIntervalMU></si:measurementUncertaintyUnivariate></si:real>`);
    expect(() => readValues(q, parseSymbolUnit('K'), 'difference')).toThrow(
      'si:measurementUncertaintyUnivariate/si:coverageIntervalMU: uncertainty given as a coverage interval: only an expanded or a standard uncertainty can be imported',
    );
  });

  it('one unit per list: mixed units are named', () => {
    const q = quantity(
      `<si:realListXMLList><si:valueXMLList>1 2</si:valueXMLList><si:unitXMLList>\\kelvin \\degreecelsius</si:unitXMLList></si:realListXMLList>`,
    );
    expect(() => readValues(q, parseSymbolUnit('K'), 'absolute')).toThrow('si:unitXMLList: one unit per list is supported, found \\kelvin, \\degreecelsius');
  });
});
