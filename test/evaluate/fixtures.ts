/** Four scored images over three classes, small enough to check every number by hand. */
export const CLASSES = ['cat', 'dog', 'frog'];
// prettier-ignore
export const PROBABILITIES = new Float32Array([
  0.61, 0.22, 0.17, // test-0: cat, right
  0.1, 0.3, 0.6,    // test-1: frog, true dog: wrong with 0.6
  0.05, 0.9, 0.05,  // test-2: dog, true frog: wrong with 0.9
  0.2, 0.4, 0.4,    // test-3: tie dog/frog goes to dog (lower label), true dog
]);
export const IDS = ['test-0', 'test-1', 'test-2', 'test-3'];
export const LABELS = [0, 1, 2, 1];
