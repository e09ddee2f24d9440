package dev.plinth.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.plinth.api.BmcAddress;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.BootMethod;
import java.io.IOException;

/** The one JSON mapping of records, for the store and the HTTP API alike. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(values())
            .addMixIn(BmcSpec.class, BmcSpecDefaults.class)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // a newer controller may have written fields this one does not know
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Json() {}

    /**
     * A BMC that network-boots is written as before virtual media existed (no {@code bootMethod}, no
     * {@code deployNetwork}), so records and documents of PXE nodes keep their shape; a missing {@code bootMethod}
     * reads as PXE.
     */
    abstract static class BmcSpecDefaults {
        @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = IsPxe.class)
        abstract BootMethod bootMethod();

        @JsonInclude(JsonInclude.Include.NON_NULL)
        abstract Object deployNetwork();
    }

    /** Jackson's value filter: {@code equals} true means "leave it out". */
    static final class IsPxe {
        @Override
        public boolean equals(Object other) {
            return other == null || other == BootMethod.PXE;
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }

    /** Parsed values travel as the text they were parsed from, as they did when they were strings. */
    private static SimpleModule values() {
        return new SimpleModule("plinth-values")
                .addSerializer(BmcAddress.class, new JsonSerializer<>() {
                    @Override
                    public void serialize(BmcAddress value, JsonGenerator gen, SerializerProvider p) throws IOException {
                        gen.writeString(value.text());
                    }
                })
                .addDeserializer(BmcAddress.class, new JsonDeserializer<>() {
                    @Override
                    public BmcAddress deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                        return BmcAddress.parse(p.getValueAsString());
                    }
                });
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    public static <T> T read(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
