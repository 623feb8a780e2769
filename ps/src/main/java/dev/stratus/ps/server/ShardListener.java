package dev.stratus.ps.server;

import dev.stratus.ps.tls.ShardTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A shard's listening socket and its connections, served by a few event-loop threads: one accepts, {@code ioThreads}
 * (default: two per core) read, serve and write for every connection, each connection staying on one of them. With
 * a certificate configured, every connection is TLS: Netty's SslHandler first in its pipeline, so the handshake of
 * the job's secret and every frame after it travel encrypted.
 */
final class ShardListener implements AutoCloseable {
  /** Connections waiting in the kernel to be accepted; the kernel may cap it lower (somaxconn). */
  private static final int BACKLOG = 4096;
  /** A connection whose unsent replies pass the high mark is not read from until they fall below the low mark. */
  private static final WriteBufferWaterMark WRITE_MARKS = new WriteBufferWaterMark(256 << 10, 1 << 20);
  /**
   * Receive buffers start at 16 KiB (a minibatch's push, about 4 KiB, then arrives in one read instead of two) and
   * adapt between 4 and 64 KiB; each is given back to the pool once its bytes are copied into the frame.
   */
  private static final AdaptiveRecvByteBufAllocator RECEIVE_BUFFERS =
      new AdaptiveRecvByteBufAllocator(4 << 10, 16 << 10, 64 << 10);

  private final EventLoopGroup acceptor;
  private final EventLoopGroup io;
  private final Channel channel;

  ShardListener(ShardParts shard) throws IOException {
    ShardConfig config = shard.config();
    SslContext tls = config.tls() == null ? null : ShardTls.serverContext(config.tls());
    // Two per core by default, as Netty's own default: a few workers then each have a loop to themselves, as they
    // had a thread each before, while thousands share them.
    int threads = config.limits().ioThreads() > 0
        ? config.limits().ioThreads()
        : 2 * Runtime.getRuntime().availableProcessors();
    acceptor = new NioEventLoopGroup(1, new DefaultThreadFactory("ps-accept-" + config.shard(), true));
    ShardCounters counters = shard.counters();
    counters.loops(threads);
    io = new NioEventLoopGroup(threads, new DefaultThreadFactory("ps-io-" + config.shard(), true) {
      @Override
      protected Thread newThread(Runnable loop, String name) {
        Thread thread = super.newThread(loop, name);
        counters.loopStarted(thread);
        return thread;
      }
    });
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(acceptor, io)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, BACKLOG)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WRITE_MARKS)
        .childOption(ChannelOption.RCVBUF_ALLOCATOR, RECEIVE_BUFFERS)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (tls != null) {
              ch.pipeline().addLast(tls.newHandler(ch.alloc()));
            }
            ch.pipeline().addLast(new ServerConnection(shard));
          }
        });
    Channel bound = null;
    try {
      bound = bootstrap.bind(new InetSocketAddress(InetAddress.getByName(config.bind()), config.port()))
          .syncUninterruptibly().channel();
    } finally {
      this.channel = bound;
      if (bound == null) {
        close();
      }
    }
  }

  InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** Stops accepting, closes every connection and waits (briefly) for the event loops to end. */
  @Override
  public void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    io.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    acceptor.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    io.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
