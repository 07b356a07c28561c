package io.fluxgate.bootstrap;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.RequestFields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The field rules of config requests: sizes, channel lists, PEM certificates and private keys. */
final class ConfigFields {

  /** The longest {@code content} a config holds, in characters. */
  static final int MAX_CONTENT = 64 * 1024;
  /** The longest certificate or key, in characters. */
  static final int MAX_PEM = 16 * 1024;
  /** The most channels one config names. */
  static final int MAX_CHANNELS = 100;

  private static final Pattern PRIVATE_KEY = Pattern.compile(
      "\\s*-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----\\s*");

  private ConfigFields() {}

  static String content(JsonObject request, boolean required) {
    if (required && !(request.getValue("content") instanceof String)) {
      throw ApiError.malformed("content is required and must be a string");
    }
    return RequestFields.optionalString(request, "content", MAX_CONTENT);
  }

  /** The channel ids of {@code field}: an array of at most {@link #MAX_CHANNELS} ids, duplicates dropped. */
  static List<String> channels(JsonObject request, String field, boolean required) {
    Object value = request.getValue(field);
    if (value == null && !required) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)
        || !array.stream().allMatch(id -> id instanceof String text && !text.isBlank() && text.length() <= 36)) {
      throw ApiError.malformed(field + (required ? " is required and" : "") + " must be an array of channel ids");
    }
    if (array.size() > MAX_CHANNELS) {
      throw ApiError.malformed(field + " names more than " + MAX_CHANNELS + " channels");
    }
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    array.forEach(id -> unique.add((String) id));
    return List.copyOf(unique);
  }

  /** An X.509 certificate (or chain) in PEM, or "" when absent; 400 naming the field when it does not parse. */
  static String certificate(JsonObject request, String field) {
    String pem = RequestFields.optionalString(request, field, MAX_PEM);
    if (pem.isEmpty()) {
      return pem;
    }
    if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
      throw ApiError.malformed(field + " must be a PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    try {
      var certificates = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (certificates.isEmpty()) {
        throw ApiError.malformed(field + " holds no certificate");
      }
    } catch (CertificateException | RuntimeException e) {
      if (e instanceof ApiError api) {
        throw api;
      }
      throw ApiError.malformed(field + " is not a valid PEM certificate");
    }
    return pem;
  }

  /** A private key in PEM (PKCS#8, PKCS#1 or SEC1), or "" when absent; 400 when it is not one. */
  static String privateKey(JsonObject request, String field) {
    String pem = RequestFields.optionalString(request, field, MAX_PEM);
    if (pem.isEmpty()) {
      return pem;
    }
    Matcher m = PRIVATE_KEY.matcher(pem);
    if (!m.matches()) {
      throw ApiError.malformed(field + " must be a PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    try {
      if (Base64.getMimeDecoder().decode(m.group(2)).length == 0) {
        throw ApiError.malformed(field + " holds an empty key");
      }
    } catch (IllegalArgumentException e) {
      throw ApiError.malformed(field + " is not valid base64 inside its PEM armour");
    }
    return pem;
  }
}
