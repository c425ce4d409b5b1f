// The reference classifier over exams in the flat layout (c5RightMotor, s4_5LeftPrick, ...).
// Input on stdin: a JSON array of exams. Output on stdout: a JSON array with, for each exam,
// the 25 results under the conformance file's names. With REFERENCE_TIMING set, the time the
// classification alone took is written to stderr.
'use strict';
const { ISNCSCI } = require('isncsci');

const MUSCLES = ['C5', 'C6', 'C7', 'C8', 'T1', 'L2', 'L3', 'L4', 'L5', 'S1'];
const DERMATOMES = [];
for (const [letter, from, to] of [['C', 2, 8], ['T', 1, 12], ['L', 1, 5], ['S', 1, 3]]) {
  for (let n = from; n <= to; n++) DERMATOMES.push(letter + n);
}
DERMATOMES.push('S4_5');

function sideOf(flat, side) {
  const key = (level, what) => flat[`${level.toLowerCase()}${side}${what}`];
  const motor = Object.fromEntries(MUSCLES.map((m) => [m, key(m, 'Motor')]));
  const lightTouch = Object.fromEntries(DERMATOMES.map((d) => [d, key(d, 'Touch')]));
  const pinPrick = Object.fromEntries(DERMATOMES.map((d) => [d, key(d, 'Prick')]));
  const result = { motor, lightTouch, pinPrick };
  const nonKey = flat[`${side.toLowerCase()}LowestNonKeyMuscleWithMotorFunction`];
  if (nonKey && nonKey !== '0') result.lowestNonKeyMuscleWithMotorFunction = nonKey;
  return result;
}

function results(flat) {
  const isncsci = new ISNCSCI({
    right: sideOf(flat, 'Right'),
    left: sideOf(flat, 'Left'),
    voluntaryAnalContraction: flat.analContraction,
    deepAnalPressure: flat.analSensation,
  });
  const { classification: c, totals: t } = isncsci;
  const levels = c.neurologicalLevels;
  const zpp = c.zoneOfPartialPreservations;
  return {
    rightUpperMotorTotal: t.right.upperExtremity,
    leftUpperMotorTotal: t.left.upperExtremity,
    rightLowerMotorTotal: t.right.lowerExtremity,
    leftLowerMotorTotal: t.left.lowerExtremity,
    rightTouchTotal: t.right.lightTouch,
    leftTouchTotal: t.left.lightTouch,
    rightPrickTotal: t.right.pinPrick,
    leftPrickTotal: t.left.pinPrick,
    rightMotorTotal: t.right.motor,
    leftMotorTotal: t.left.motor,
    upperMotorTotal: t.upperExtremity,
    lowerMotorTotal: t.lowerExtremity,
    touchTotal: t.lightTouch,
    prickTotal: t.pinPrick,
    rightSensory: levels.sensoryRight,
    leftSensory: levels.sensoryLeft,
    rightMotor: levels.motorRight,
    leftMotor: levels.motorLeft,
    neurologicalLevelOfInjury: c.neurologicalLevelOfInjury,
    rightSensoryZpp: zpp.sensoryRight,
    leftSensoryZpp: zpp.sensoryLeft,
    rightMotorZpp: zpp.motorRight,
    leftMotorZpp: zpp.motorLeft,
    asiaImpairmentScale: c.ASIAImpairmentScale,
    injuryComplete: c.injuryComplete,
  };
}

if (require.main === module) {
  const exams = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const started = process.hrtime.bigint();
  const out = exams.map(results);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (process.env.REFERENCE_TIMING) {
    process.stderr.write(`reference: ${exams.length} exams classified in ${ms.toFixed(1)} ms\n`);
  }
  process.stdout.write(JSON.stringify(out));
  process.stdout.write('\n');
}

module.exports = { results };
