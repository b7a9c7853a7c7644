import { describe, expect, it } from 'vitest';
import { convertAbsolute, convertDifference, dsiSymbol, parseDsiUnit, parseSymbolUnit, sameUnit } from '../../gateway/calibration/dcc/units.js';

const abs = (v: number, dsi: string, symbol: string) => convertAbsolute(v, parseDsiUnit(dsi), parseSymbolUnit(symbol));
const diff = (v: number, dsi: string, symbol: string) => convertDifference(v, parseDsiUnit(dsi), parseSymbolUnit(symbol));

describe('D-SI units into channel units (hand-computed)', () => {
  it('converts absolute temperatures with the offset, both ways', () => {
    expect(abs(306.248, '\\kelvin', '°C')).toBe(33.098); // 306.248 − 273.15
    expect(abs(0, '\\kelvin', '°C')).toBe(-273.15);
    expect(abs(20, '\\degreecelsius', 'K')).toBe(293.15);
    expect(abs(-40, '\\degreecelsius', '°F')).toBe(-40);
    expect(abs(100, '\\degreecelsius', 'degF')).toBe(212);
    expect(abs(25, '\\degreecelsius', '℃')).toBe(25);
  });

  it('converts temperature differences (errors, U) by scale only, never by the offset', () => {
    expect(diff(0.072, '\\kelvin', '°C')).toBe(0.072);
    expect(diff(79, '\\milli\\kelvin', '°C')).toBe(0.079);
    expect(diff(0.5, '\\degreecelsius', 'mK')).toBe(500);
    expect(diff(1, '\\kelvin', '°F')).toBe(1.8);
  });

  it('converts pressure, mass, voltage and relative humidity', () => {
    expect(abs(2.0011, '\\bar', 'kPa')).toBe(200.11);
    expect(diff(110, '\\pascal', 'kPa')).toBe(0.11);
    expect(abs(1, '\\mega\\pascal', 'bar')).toBe(10);
    expect(abs(1013.25, '\\hecto\\pascal', 'mbar')).toBe(1013.25);
    expect(abs(1, '\\kilo\\pascal', 'psi')).toBe(0.14503773773); // 1000 / 6894.757293168, 12 digits
    expect(abs(0.5, '\\gram', 'kg')).toBe(0.0005);
    expect(diff(2, '\\milli\\gram', 'g')).toBe(0.002);
    expect(abs(1.2, '\\kilogram', 'g')).toBe(1200);
    expect(abs(1.5, '\\milli\\volt', 'V')).toBe(0.0015);
    expect(abs(10, '\\volt', 'mV')).toBe(10000);
    expect(abs(0.201, '\\one', '%RH')).toBe(20.1);
    expect(diff(0.006, '\\one', '%')).toBe(0.6);
    expect(abs(45.5, '\\percent', '%RH')).toBe(45.5);
  });

  it('reads prefixes, products and \\tothe exponents', () => {
    expect(abs(998.2, '\\kilogram\\metre\\tothe{-3}', 'g/L')).toBe(998.2); // 1 kg/m³ = 1 g/L
    expect(abs(2, '\\metre\\second\\tothe{-1}', 'km/h')).toBe(7.2);
    expect(abs(1, '\\centi\\metre\\tothe{3}', 'mL')).toBe(1);
    expect(abs(3, '\\metre\\tothe{2}', 'cm^2')).toBe(30000);
  });

  it('treats a unit written two ways as the same unit (no arithmetic)', () => {
    expect(sameUnit(parseDsiUnit('\\percent'), parseSymbolUnit('%RH'))).toBe(true);
    expect(sameUnit(parseDsiUnit('\\kilo\\pascal'), parseSymbolUnit('kPa'))).toBe(true);
    expect(sameUnit(parseDsiUnit('\\kelvin'), parseSymbolUnit('°C'))).toBe(false);
    expect(sameUnit(parseDsiUnit('\\one'), parseSymbolUnit('%'))).toBe(false);
  });

  it('refuses what cannot convert, naming both units', () => {
    expect(() => abs(1, '\\metre', '°C')).toThrow('m cannot convert to °C');
    expect(() => diff(1, '\\volt', 'kPa')).toThrow('V cannot convert to kPa');
    expect(() => abs(1, '\\kilogram', 'N')).toThrow('cannot convert');
    expect(() => abs(20, '\\milli\\degreecelsius', 'K')).toThrow('absolute values in \\milli\\degreecelsius have no meaning');
  });

  it('names unknown tokens and malformed unit strings', () => {
    expect(() => parseDsiUnit('\\furlong')).toThrow('unknown D-SI unit \\furlong');
    expect(() => parseDsiUnit('kelvin')).toThrow('unknown D-SI unit kelvin');
    expect(() => parseDsiUnit('\\milli')).toThrow('prefix \\milli without a unit');
    expect(() => parseDsiUnit('\\tothe{2}')).toThrow('\\tothe without a unit');
    expect(() => parseSymbolUnit('degrees')).toThrow('unknown unit symbol "degrees"');
    expect(() => parseSymbolUnit('')).toThrow('the channel has no unit');
  });

  it('shows D-SI units as the symbols a config uses, and those read back to the same unit', () => {
    expect(dsiSymbol('\\milli\\kelvin')).toBe('mK');
    expect(dsiSymbol('\\degreecelsius')).toBe('°C');
    expect(dsiSymbol('\\kilogram\\metre\\tothe{-3}')).toBe('kg·m^-3');
    expect(dsiSymbol('\\micro\\volt')).toBe('µV');
    for (const dsi of ['\\milli\\kelvin', '\\kilogram\\metre\\tothe{-3}', '\\micro\\volt', '\\bar', '\\percent']) {
      expect(sameUnit(parseSymbolUnit(dsiSymbol(dsi)), parseDsiUnit(dsi)), dsi).toBe(true);
    }
  });
});
