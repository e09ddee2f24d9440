package dev.plinth.image;

/** Package-private helpers of the image cache, for tests in other packages. */
public final class ImageCacheTestAccess {
    private ImageCacheTestAccess() {}

    public static boolean onPath(String program) {
        return ImageCache.onPath(program);
    }
}
