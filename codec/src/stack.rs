//! A stack that lives inline (on the caller's stack) up to `N` entries and, with the `alloc`
//! feature, moves to the heap beyond that. Without `alloc`, a push beyond `N` fails.
//!
//! Decoding ordinary terms never leaves the inline part, so it allocates nothing even when
//! `alloc` is enabled.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

pub(crate) struct Stack<T: Clone, const N: usize> {
    inline: heapless::Vec<T, N>,
    #[cfg(feature = "alloc")]
    heap: Vec<T>,
    #[cfg(feature = "alloc")]
    on_heap: bool,
}

/// The stack is full and this build has no allocator to grow it.
#[derive(Debug)]
pub(crate) struct Full;

impl<T: Clone, const N: usize> Stack<T, N> {
    pub(crate) const fn new() -> Self {
        Stack {
            inline: heapless::Vec::new(),
            #[cfg(feature = "alloc")]
            heap: Vec::new(),
            #[cfg(feature = "alloc")]
            on_heap: false,
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, value: T) -> Result<(), Full> {
        #[cfg(feature = "alloc")]
        {
            if self.on_heap {
                self.heap.push(value);
                return Ok(());
            }
            if self.inline.is_full() {
                self.heap.reserve(2 * N);
                self.heap.extend_from_slice(&self.inline);
                self.inline.clear();
                self.on_heap = true;
                self.heap.push(value);
                return Ok(());
            }
        }
        self.inline.push(value).map_err(|_| Full)
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        #[cfg(feature = "alloc")]
        if self.on_heap {
            return self.heap.pop();
        }
        self.inline.pop()
    }

    #[inline]
    pub(crate) fn last_mut(&mut self) -> Option<&mut T> {
        self.as_mut_slice().last_mut()
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    #[inline]
    pub(crate) fn truncate(&mut self, len: usize) {
        #[cfg(feature = "alloc")]
        if self.on_heap {
            self.heap.truncate(len);
            return;
        }
        self.inline.truncate(len);
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        #[cfg(feature = "alloc")]
        if self.on_heap {
            return &self.heap;
        }
        &self.inline
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        #[cfg(feature = "alloc")]
        if self.on_heap {
            return &mut self.heap;
        }
        &mut self.inline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_past_inline_only_with_alloc() {
        let mut stack = Stack::<u32, 2>::new();
        assert!(stack.push(1).is_ok());
        assert!(stack.push(2).is_ok());
        let third = stack.push(3);
        if cfg!(feature = "alloc") {
            assert!(third.is_ok());
            assert_eq!(stack.as_slice(), &[1, 2, 3]);
            assert_eq!(stack.pop(), Some(3));
        } else {
            assert!(third.is_err());
            assert_eq!(stack.as_slice(), &[1, 2]);
        }
        stack.truncate(1);
        assert_eq!(stack.len(), 1);
        *stack.last_mut().unwrap() = 7;
        assert_eq!(stack.pop(), Some(7));
        assert_eq!(stack.pop(), None);
    }
}
