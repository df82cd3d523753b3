import { connectDocker } from './client';
import { resolveEngine } from './engine';
import { onEngine } from './errors';
import { inspectImage } from './image';
import { DEFAULT_IMAGE } from './plan';

/**
 * Whether Docker sandboxes can start here: null when the engine answers and the image exists, otherwise the reason
 * (with its fix), so a surface set to "auto" can fall back to the local sandbox and say why. `engine`: a host address
 * or a Docker context name; absent, Docker's own choice.
 */
export async function dockerUnreadyReason(image = DEFAULT_IMAGE, engine?: string): Promise<string | null> {
  try {
    const target = resolveEngine(engine);
    try {
      await inspectImage(await connectDocker({ target, pingTimeoutMs: 1500 }), image);
    } catch (err) {
      throw onEngine(err, target);
    }
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
