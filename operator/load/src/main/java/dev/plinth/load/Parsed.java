package dev.plinth.load;

import dev.plinth.api.Resource;

/**
 * A document read into a resource. When the document had problems some fields may be null; such a resource
 * still takes part in cross-document checks but never reaches a {@link dev.plinth.api.DesiredState}.
 */
record Parsed(Resource resource, Doc doc) {}
