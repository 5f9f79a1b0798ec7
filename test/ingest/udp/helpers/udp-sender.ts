/**
 * A UDP socket that sends test datagrams to 127.0.0.1. `send` resolves once the kernel
 * took the datagram: on loopback it is then already queued at the receiving socket, so a
 * later datagram to the same port is read after it.
 */
import dgram from 'node:dgram';

export class UdpSender {
  readonly #socket: dgram.Socket;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
  }

  /**
   * Binds `port` (default ephemeral) on `host` (default 127.0.0.1, the only address tests
   * bind).
   */
  static async open(options: { port?: number; host?: string } = {}): Promise<UdpSender> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpSender(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  send(bytes: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.send(bytes, port, '127.0.0.1', (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
