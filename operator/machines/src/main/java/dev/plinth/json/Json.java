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
import dev.plinth.api.BmcAddress;
import java.io.IOException;

/** The one JSON mapping of records, for the store and the HTTP API alike. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(values())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // a newer controller may have written fields this one does not know
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Json() {}

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
