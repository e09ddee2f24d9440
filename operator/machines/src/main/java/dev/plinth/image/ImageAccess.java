package dev.plinth.image;

/**
 * Who may download a cached image: the deploy agent of a machine with a live deploy of that very image, proven by
 * its deploy token. Anyone else on the provisioning network gets a 404, as for an image that does not exist.
 */
@FunctionalInterface
public interface ImageAccess {
    /** @param bearerToken the token the request presented; null when it presented none */
    boolean mayFetch(String file, String bearerToken);
}
