/** CIFAR-10 class names in label order (label byte 0..9). */
export const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

export type ClassName = (typeof CLASS_NAMES)[number];

export const NUM_CLASSES = CLASS_NAMES.length;

export function classIndex(name: string): number {
  const index = (CLASS_NAMES as readonly string[]).indexOf(name);
  if (index < 0) throw new Error(`unknown CIFAR-10 class "${name}" (expected one of ${CLASS_NAMES.join(', ')})`);
  return index;
}
