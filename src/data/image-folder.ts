import { copyFile, link, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CLASS_NAMES } from '../cifar/classes.js';
import { UserError } from '../util/errors.js';
import type { ImageEntry } from './partition.js';

/** The exported image folder (`data/cifar10/<class>/<id>.png`) as the partitions see it. */

const IMAGE_ID = /^(train[1-5]|test)-\d{5}\.png$/;

/** Every `<class>/<id>.png` of an image folder; anything else in a class folder is a UserError. */
export async function listImages(imagesDir: string): Promise<ImageEntry[]> {
  const images: ImageEntry[] = [];
  for (const name of CLASS_NAMES) {
    let files: string[];
    try {
      files = await readdir(join(imagesDir, name));
    } catch {
      throw new UserError(`${join(imagesDir, name)} is missing; run \`cifar10 download\` first to export the images`);
    }
    for (const file of files) {
      if (file.includes('.tmp-')) continue;
      const id = file.replace(/\.png$/, '');
      if (!IMAGE_ID.test(file)) {
        throw new UserError(`${join(imagesDir, name, file)} is not an exported CIFAR-10 image (<id>.png, e.g. train1-00042.png); move it out of ${imagesDir}`);
      }
      images.push({ id, class: name });
    }
  }
  return images;
}

/** Hard link, else (another filesystem, or links not allowed) a copy. */
export async function linkOrCopy(from: string, to: string): Promise<'link' | 'copy'> {
  try {
    await link(from, to);
    return 'link';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw error;
    await copyFile(from, to);
    return 'copy';
  }
}
