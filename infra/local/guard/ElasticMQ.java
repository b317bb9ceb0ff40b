package paylinks.guard;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.scaladsl.Http$;
import org.apache.pekko.http.scaladsl.HttpExt;
import org.apache.pekko.http.scaladsl.ServerBuilder;
import org.apache.pekko.http.scaladsl.model.HttpRequest;
import org.apache.pekko.http.scaladsl.model.HttpResponse;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;

import org.elasticmq.server.ElasticMQServer;
import org.elasticmq.server.config.ElasticMQServerConfig;

/**
 * ElasticMQ on 127.0.0.1, refusing what a web page sends (see Refusal).
 *
 * <p>ElasticMQ speaks SQS's query protocol, whose form posts a page may send
 * to any address without a preflight: a page could create, purge or fill
 * `make dev`'s queues. ElasticMQ has no hook for that, so this starts it as
 * its own main does (the configuration from -Dconfig.file, then
 * ElasticMQServer.start) with one change: before ElasticMQ binds its port,
 * the actor system's Pekko HTTP extension is one whose servers bind to
 * 127.0.0.1 whatever the configuration says and answer 403 to what Refusal
 * refuses before ElasticMQ's routes see it. When ElasticMQ or Pekko are not
 * of the shape this expects (another version), it stops rather than serve
 * unguarded.
 */
public final class ElasticMQ {
  private ElasticMQ() {}

  public static void main(String[] args) throws Exception {
    Config config = ConfigFactory.load();
    ElasticMQServer server = new ElasticMQServer(new ElasticMQServerConfig(config));
    ActorSystem system = actorSystem(server);
    guardHttp(system);
    scala.Function0<?> shutdown = server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(shutdown::apply, "elasticmq-shutdown"));
    System.out.println("ElasticMQ on " + Refusal.LOOPBACK + ", refusing requests from web pages");
  }

  /** ElasticMQServer's actor system (a private field), before it starts. */
  static ActorSystem actorSystem(ElasticMQServer server) throws ReflectiveOperationException {
    for (Field f : ElasticMQServer.class.getDeclaredFields()) {
      if (f.getType() == ActorSystem.class) {
        f.setAccessible(true);
        return (ActorSystem) f.get(server);
      }
    }
    throw new NoSuchFieldException("no ActorSystem field in " + ElasticMQServer.class.getName());
  }

  /**
   * Registers the guarded Pekko HTTP extension in the actor system, in the
   * place Http(system) looks it up, before anything asks for it.
   */
  @SuppressWarnings("unchecked")
  static void guardHttp(ActorSystem system) throws ReflectiveOperationException {
    ExtendedActorSystem ext = (ExtendedActorSystem) system;
    Field extensions = null;
    for (Class<?> c = system.getClass(); c != null && extensions == null; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getName().equals("extensions") && Map.class.isAssignableFrom(f.getType())) {
          extensions = f;
        }
      }
    }
    if (extensions == null) {
      throw new NoSuchFieldException("no extensions map in " + system.getClass().getName());
    }
    extensions.setAccessible(true);
    Map<Object, Object> registry = (Map<Object, Object>) extensions.get(system);
    HttpExt guarded = new GuardedHttp(ext.settings().config().getConfig("pekko.http"), ext);
    if (registry.putIfAbsent(Http$.MODULE$, guarded) != null) {
      throw new IllegalStateException("Pekko HTTP was set up before the guard could be");
    }
    if (Http$.MODULE$.apply(system) != guarded) {
      throw new IllegalStateException("Pekko HTTP does not use the guarded extension");
    }
  }

  /** Pekko HTTP whose servers bind to 127.0.0.1 and refuse browser-sent requests. */
  static final class GuardedHttp extends HttpExt {
    GuardedHttp(Config config, ExtendedActorSystem system) {
      super(config, system);
    }

    @Override
    public ServerBuilder newServerAt(String iface, int port) {
      return guarded(super.newServerAt(Refusal.LOOPBACK, port), system());
    }
  }

  /**
   * A ServerBuilder that keeps 127.0.0.1 and puts the guard in front of the
   * flow it binds. ElasticMQ binds a flow; the other ways to bind fail.
   */
  static ServerBuilder guarded(ServerBuilder b, ActorSystem system) {
    return (ServerBuilder) Proxy.newProxyInstance(ServerBuilder.class.getClassLoader(),
        new Class<?>[] {ServerBuilder.class}, (proxy, m, a) -> {
          switch (m.getName()) {
            case "bindFlow":
              return b.bindFlow(guard(a[0], system));
            case "onInterface":
              return guarded(b.onInterface(Refusal.LOOPBACK), system);
            case "bind":
            case "bindSync":
            case "connectionSource":
              throw new IllegalStateException("ElasticMQ binds its server with " + m.getName()
                  + ", which the guard does not cover");
            default:
              Object r = call(m, b, a);
              return r instanceof ServerBuilder ? guarded((ServerBuilder) r, system) : r;
          }
        });
  }

  private static Object call(Method m, Object target, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** The flow that answers 403 to what Refusal refuses and passes the rest to inner. */
  @SuppressWarnings("unchecked")
  static org.apache.pekko.stream.scaladsl.Flow<HttpRequest, HttpResponse, NotUsed> guard(Object inner, ActorSystem system) {
    org.apache.pekko.stream.scaladsl.Flow<HttpRequest, HttpResponse, ?> routes =
        (org.apache.pekko.stream.scaladsl.Flow<HttpRequest, HttpResponse, ?>) inner;
    return Flow.<HttpRequest>create().<HttpResponse, NotUsed>flatMapConcat(req -> {
      String why = Refusal.of(req.method().value(), header(req, "Origin"), header(req, "Sec-Fetch-Site"),
          header(req, "Host"));
      if (why == null) {
        return Source.single(req).via(routes);
      }
      req.discardEntityBytes(system);
      return Source.single(forbidden(why));
    }).asScala();
  }

  private static String header(HttpRequest req, String name) {
    return req.getHeader(name).map(HttpHeader::value).orElse(null);
  }

  private static HttpResponse forbidden(String why) {
    return (HttpResponse) org.apache.pekko.http.javadsl.model.HttpResponse.create()
        .withStatus(403)
        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, why + "\n");
  }
}
