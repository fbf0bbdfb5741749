import { Buffer } from 'buffer';
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';

// web3.js and the order encoding expect Node's Buffer.
(globalThis as { Buffer?: typeof Buffer }).Buffer ??= Buffer;

createApp(App).use(createPinia()).mount('#app');
