import { connectDocker } from './client';
import { inspectImage } from './image';
import { DEFAULT_IMAGE } from './plan';

/**
 * Whether Docker sandboxes can start here: null when the engine answers and the image exists, otherwise the reason
 * (with its fix), so a surface set to "auto" can fall back to the local sandbox and say why.
 */
export async function dockerUnreadyReason(image = DEFAULT_IMAGE): Promise<string | null> {
  try {
    await inspectImage(await connectDocker({ pingTimeoutMs: 1500 }), image);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
