package io.fluxgate.bootstrap;

import static io.fluxgate.api.RequestFields.putIfSet;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A bootstrap config: what the device with {@code externalId} and {@code externalKey} gets at its first start (its
 * thing, the thing's key, its channels, free-form content and certificates), and whether its thing is connected to
 * those channels ({@code state} 1) or not (0). The secrets are held open here; never print one.
 */
public record DeviceConfig(String thingId, String owner, String name, String externalId, String externalKey,
    String thingKey, String content, String clientCert, String clientKey, String caCert, int state,
    List<ConfigChannel> channels, String createdAt, long revision) {

  public static final int INACTIVE = 0;
  public static final int ACTIVE = 1;

  public boolean active() {
    return state == ACTIVE;
  }

  public List<String> channelIds() {
    return channels.stream().map(ConfigChannel::id).toList();
  }

  public DeviceConfig withChannels(List<ConfigChannel> channels) {
    return new DeviceConfig(thingId, owner, name, externalId, externalKey, thingKey, content, clientCert, clientKey,
        caCert, state, List.copyOf(channels), createdAt, revision);
  }

  /** The config after a change: one revision later. */
  public DeviceConfig changed(String name, String content, String clientCert, String clientKey, String caCert,
      int state, List<ConfigChannel> channels) {
    return new DeviceConfig(thingId, owner, name, externalId, externalKey, thingKey, content, clientCert, clientKey,
        caCert, state, List.copyOf(channels), createdAt, revision + 1);
  }

  /** The config after a reaction to the things stream changed its channel list: one revision later. */
  public DeviceConfig withChannelsChanged(List<ConfigChannel> channels) {
    return changed(name, content, clientCert, clientKey, caCert, state, channels);
  }

  /** The owner's view: everything, secrets included ({@code withSecrets}) or left out (a listing). */
  public JsonObject toApi(boolean withSecrets) {
    JsonObject json = new JsonObject().put("thing_id", thingId).put("owner", owner);
    putIfSet(json, "name", name);
    json.put("external_id", externalId);
    if (withSecrets) {
      json.put("external_key", externalKey).put("mainflux_key", thingKey);
      putIfSet(json, "client_key", clientKey);
    }
    json.put("content", content).put("state", state);
    putIfSet(json, "client_cert", clientCert);
    putIfSet(json, "ca_cert", caCert);
    if (withSecrets) {
      json.put("channels", channelsJson());
    }
    return json;
  }

  /** What the device gets from {@code /things/bootstrap}. */
  public JsonObject toDevice() {
    // The reference's BootstrapConfig lists channel ids: a device needs no more to publish and subscribe.
    JsonObject json = new JsonObject().put("thing_id", thingId).put("thing_key", thingKey)
        .put("channels", new JsonArray(channelIds())).put("content", content);
    putIfSet(json, "client_cert", clientCert);
    putIfSet(json, "client_key", clientKey);
    putIfSet(json, "ca_cert", caCert);
    return json;
  }

  JsonArray channelsJson() {
    JsonArray all = new JsonArray();
    channels.forEach(c -> all.add(c.toJson()));
    return all;
  }

  @Override
  public String toString() {
    return "DeviceConfig[thingId=" + thingId + ", externalId=" + externalId + ", state=" + state + "]";
  }
}
