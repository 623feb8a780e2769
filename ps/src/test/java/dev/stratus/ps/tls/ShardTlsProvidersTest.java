package dev.stratus.ps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.util.Random;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.conscrypt.Conscrypt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The shard's two TLS providers (BoringSSL through netty-tcnative, the JDK's) against the client's two (BoringSSL
 * through Conscrypt, the JDK's), each pair over a socket: each side falls back on its own, so every pair must
 * handshake TLS 1.3, carry bytes both ways, and refuse a certificate that is not the pinned one.
 */
class ShardTlsProvidersTest {
  private static final ShardCertificate CERTIFICATE = ShardCertificate.selfSigned();
  private static EventLoopGroup loop;

  @BeforeAll
  static void start() {
    loop = new NioEventLoopGroup(1);
  }

  @AfterAll
  static void stop() {
    loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void bothSidesUseBoringSslOnLinuxX86() {
    assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"));
    assertTrue(OpenSsl.isAvailable(), "netty-tcnative does not load: " + OpenSsl.unavailabilityCause());
    assertTrue(Conscrypt.isAvailable(), "Conscrypt does not load");
  }

  @ParameterizedTest(name = "shard {0}, client {1}")
  @CsvSource({"openssl, conscrypt", "openssl, jdk", "jdk, conscrypt", "jdk, jdk"})
  void everyPairHandshakesAndCarriesBytes(String shard, String client) throws Exception {
    assumeNative(shard, client);
    Channel server = echoServer(ShardTls.serverContext(CERTIFICATE, shard.equals("openssl")));
    try (Socket socket = connect(server)) {
      SSLSocket tls = ShardTls.client(CERTIFICATE.certificatePem(), client.equals("conscrypt"))
          .handshake(socket, (InetSocketAddress) server.localAddress());
      assertEquals("TLSv1.3", tls.getSession().getProtocol());
      assertTrue(tls.getSession().getCipherSuite().startsWith("TLS_AES_128_GCM"), tls.getSession().getCipherSuite());
      byte[] sent = new byte[40_000];
      new Random(7).nextBytes(sent);
      tls.getOutputStream().write(sent);
      byte[] echoed = new byte[sent.length];
      new DataInputStream(tls.getInputStream()).readFully(echoed);
      assertArrayEquals(sent, echoed);
    } finally {
      server.close().syncUninterruptibly();
    }
  }

  @ParameterizedTest(name = "shard {0}, client {1}")
  @CsvSource({"openssl, conscrypt", "openssl, jdk", "jdk, conscrypt", "jdk, jdk"})
  void everyClientRefusesACertificateItDoesNotPin(String shard, String client) throws Exception {
    assumeNative(shard, client);
    Channel server = echoServer(ShardTls.serverContext(CERTIFICATE, shard.equals("openssl")));
    try (Socket socket = connect(server)) {
      ShardTls.Client another = ShardTls.client(ShardCertificate.selfSigned().certificatePem(),
          client.equals("conscrypt"));
      SSLException refused = assertThrows(SSLException.class,
          () -> another.handshake(socket, (InetSocketAddress) server.localAddress()));
      Throwable cause = refused;
      while (cause != null && !(cause instanceof CertificateException)) {
        cause = cause.getCause();
      }
      assertTrue(cause != null && cause.getMessage().contains("is not the one this client trusts"),
          "no CertificateException of ours under " + refused);
    } finally {
      server.close().syncUninterruptibly();
    }
  }

  private static void assumeNative(String shard, String client) {
    assumeTrue(!shard.equals("openssl") || OpenSsl.isAvailable(), "no netty-tcnative here");
    assumeTrue(!client.equals("conscrypt") || Conscrypt.isAvailable(), "no Conscrypt here");
  }

  private static Socket connect(Channel server) throws Exception {
    Socket socket = new Socket();
    socket.connect(server.localAddress(), 5_000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static Channel echoServer(SslContext context) {
    return new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(context.newHandler(ch.alloc()), new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.writeAndFlush((ByteBuf) msg);
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
              }
            });
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
  }
}
